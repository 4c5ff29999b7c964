using Serving.LoadTest.Reporting;

namespace Serving.Benchmarks;

/// <summary>
/// results.json: everything the report found and derived, in the shape docs/benchmarks.md and
/// earlier runs use (schema version 1; key order as written). Nulls are written, not left out.
/// </summary>
internal sealed record BenchmarkResults
{
    public int SchemaVersion { get; init; } = 1;

    public string GeneratedAtUtc { get; init; } = "";

    public required MachineFacts Machine { get; init; }

    /// <summary>The latency objective every goodput search used (p99, ms).</summary>
    public int SloMs { get; init; } = 10;

    public RawOrtResult? RawOrt { get; init; }

    /// <summary>By <c>MODE-WORKLOAD</c>, workloads outer, modes inner.</summary>
    public required IReadOnlyDictionary<string, GoodputRow> Goodput { get; init; }

    public required GoodputRatios Ratios { get; init; }

    public required IReadOnlyList<TargetResult> Targets { get; init; }

    public BatchingCeiling? BatchingCeiling { get; init; }

    public ProbeResult? Overload { get; init; }

    public ProbeResult? AfterOverload { get; init; }

    public OverloadStepRun? OverloadStepRun { get; init; }

    /// <summary>By probe id (<c>MODE-WORKLOAD</c> and the extra probes), in the table's order.</summary>
    public required IReadOnlyDictionary<string, BreakdownRow> Breakdown { get; init; }

    public IReadOnlyList<MicroCase>? Micro { get; init; }
}

/// <summary>One goodput search (goodput/MODE-WORKLOAD/goodput.json) with its step run at the goodput rate; all null when the search is missing.</summary>
internal sealed record GoodputRow
{
    public double? P50MsAtGoodput { get; init; }

    public double? SendLagP50Ms { get; init; }

    public double? SendLagP99Ms { get; init; }

    public string Mode { get; init; } = "";

    /// <summary>The workload's title, e.g. <c>Criteo mix</c>.</summary>
    public string Workload { get; init; } = "";

    public double? GoodputRate { get; init; }

    public double? AchievedRate { get; init; }

    public double? RowsPerSecond { get; init; }

    public double? P99Ms { get; init; }

    public double? FirstFailingRate { get; init; }

    public bool? HitMaxRate { get; init; }

    public int? Steps { get; init; }

    public double? RatioToRawOrt { get; init; }
}

/// <summary>Adaptive batching's goodput over the other modes' (and its rows/s over raw ONNX Runtime's).</summary>
internal sealed record GoodputRatios(
    double? AdaptiveOverRawCriteo,
    double? AdaptiveOverNoneSmall,
    double? AdaptiveOverStaticSmall,
    double? AdaptiveOverNoneMedium,
    double? AdaptiveOverStaticMedium,
    double? AdaptiveOverNoneCriteo,
    double? AdaptiveOverStaticCriteo);
