namespace Serving.Benchmarks;

/// <summary>Where the time goes in one probe run: per-request and per-row costs, server and client means.</summary>
internal sealed record BreakdownRow
{
    public string Mode { get; init; } = "";

    /// <summary>The probe's title, e.g. <c>Criteo mix</c>.</summary>
    public string Workload { get; init; } = "";

    public double? OfferedRate { get; init; }

    public double? OkRate { get; init; }

    /// <summary>Offered minus OK.</summary>
    public double? Errors { get; init; }

    public double? RowsPerRequest { get; init; }

    public double? BatchRowsMean { get; init; }

    /// <summary>Server CPU seconds per second of the run (the idle use not subtracted).</summary>
    public double? ServerCoreBusy { get; init; }

    public double? ServerIdleCpuPerSecond { get; init; }

    /// <summary>Server CPU (less its idle use) per OK request; null below a tenth of the core.</summary>
    public double? CpuUsPerRequest { get; init; }

    public double? ComputeUsPerRequest { get; init; }

    public double? ParseUsPerRequest { get; init; }

    public double? AssembleUsPerRequest { get; init; }

    public double? RespondUsPerRequest { get; init; }

    /// <summary>CPU − compute − parse − assemble − respond: gRPC/HTTP2, the batcher, GC.</summary>
    public double? OtherUsPerRequest { get; init; }

    public double? CpuUsPerRow { get; init; }

    public double? ComputeUsPerRow { get; init; }

    public double? RawOrtUsPerRowAtBatch { get; init; }

    public double? RawOrtUsPerRowBest { get; init; }

    public double? ClientMeanMs { get; init; }

    public double? ClientP99Ms { get; init; }

    public double? ServiceP50Ms { get; init; }

    public double? ServiceMeanMs { get; init; }

    public double? ServerTotalP50Ms { get; init; }

    public double? OkRowsPerSecond { get; init; }

    public double? RatioToRawOrt { get; init; }

    /// <summary>The probe's latency by status, as compact JSON.</summary>
    public string? StatusCounts { get; init; }

    public double? ServerTotalMeanMs { get; init; }

    public double? QueueMeanMs { get; init; }

    public double? ComputeMeanMs { get; init; }

    public double? SendLagP99Ms { get; init; }
}
