using System.Text.Json;
using Serving.LoadTest.Reporting;
using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>
/// Where the time goes, from the probes run at each configuration's goodput rate (and the extra
/// probes): the server's CPU per request less its idle use, ONNX Runtime's compute from /metrics,
/// parse/assemble/respond from the hot-path benchmarks at the nearest request size, the rest other.
/// </summary>
internal static class Breakdown
{
    /// <summary>Below this share of the core over a run, CPU time (counted in 10 ms ticks) is noise.</summary>
    private const double MinCoreBusy = 0.1;

    /// <summary>The status summaries are embedded as compact JSON, as the probe wrote them.</summary>
    private static readonly JsonSerializerOptions CompactJson = new(ReportJson.Options) { WriteIndented = false };

    /// <summary>The probes of a run in the table's order, with each one's mode and title.</summary>
    public static IEnumerable<(string Id, string Mode, string Title)> Probes()
    {
        foreach (var (key, title) in BenchmarkGrid.Workloads)
        {
            foreach (var mode in BenchmarkGrid.Modes)
            {
                yield return (BenchmarkGrid.Id(mode, key), mode, title);
                if (mode == "adaptive" && key == "criteo")
                {
                    yield return ("adaptive-criteo-throughput", mode, "Criteo mix, throughput probe (SLO not met)");
                    yield return ("adaptive-largest", mode, "1,024 candidates alone (5 req/s)");
                }
            }
        }

        foreach (var mode in BenchmarkGrid.Modes)
        {
            yield return ($"{mode}-small-saturation", mode, "10 candidates, saturation probe (SLO ignored)");
        }
    }

    public static IReadOnlyDictionary<string, BreakdownRow> Build(
        BenchmarkRunFiles files, IReadOnlyList<MicroCase>? micro, RawOrtResult? raw)
    {
        ArgumentNullException.ThrowIfNull(files);
        var rows = new Dictionary<string, BreakdownRow>(StringComparer.Ordinal);
        foreach (var (id, mode, title) in Probes())
        {
            if (files.Probe(id) is { } probe)
            {
                rows[id] = Row(probe, mode, title, micro, raw);
            }
        }

        return rows;
    }

    private static BreakdownRow Row(ProbeResult probe, string mode, string title, IReadOnlyList<MicroCase>? micro, RawOrtResult? raw)
    {
        var rawRows = raw?.BestRowsPerSecond;
        double ok = probe.Ok;
        var duration = probe.DurationSeconds;
        var rowsPerRequest = probe.MeanCandidatesPerRequest;

        var batchRows = BatchRowsMean(probe);
        var parse = MicroBenchmarks.PerRequest(micro, "Parse", rowsPerRequest);
        var assemble = MicroBenchmarks.PerRequest(micro, "Assemble", rowsPerRequest);
        var respond = MicroBenchmarks.PerRequest(micro, "Respond", rowsPerRequest, perCandidate: false);
        var busy = probe.ServerCpuSeconds / duration;
        var cpuUs = CpuUsPerOk(probe);
        var computeUs = ComputeUsPerOk(probe);
        var okLatency = probe.LatencyMsByStatus.GetValueOrDefault("OK");
        var okService = probe.ServiceMsByStatus.GetValueOrDefault("OK");
        var timing = probe.ServerTimingMeansOk;
        return new BreakdownRow
        {
            Mode = mode,
            Workload = title,
            OfferedRate = probe.OfferedRate,
            OkRate = probe.OkRate,
            Errors = probe.Offered - ok,
            RowsPerRequest = rowsPerRequest,
            BatchRowsMean = batchRows,
            ServerCoreBusy = busy,
            ServerIdleCpuPerSecond = probe.ServerIdleCpuPerSecond,
            CpuUsPerRequest = cpuUs,
            ComputeUsPerRequest = computeUs,
            ParseUsPerRequest = parse,
            AssembleUsPerRequest = assemble,
            RespondUsPerRequest = respond,
            OtherUsPerRequest = cpuUs - computeUs - parse - assemble - respond,
            CpuUsPerRow = cpuUs / rowsPerRequest,
            ComputeUsPerRow = computeUs / rowsPerRequest,
            RawOrtUsPerRowAtBatch = batchRows is null ? null : RawUsPerRow(raw, batchRows.Value),
            RawOrtUsPerRowBest = rawRows is > 0 ? 1e6 / rawRows : null,
            ClientMeanMs = okLatency?.Mean,
            ClientP99Ms = okLatency?.P99,
            ServiceP50Ms = okService?.P50,
            ServiceMeanMs = okService?.Mean,
            ServerTotalP50Ms = probe.ServerTotalMsOk.P50,
            OkRowsPerSecond = probe.OkRowsPerSecond,
            RatioToRawOrt = Ratio(probe.OkRowsPerSecond, rawRows),
            StatusCounts = JsonSerializer.Serialize(probe.LatencyMsByStatus, CompactJson),
            ServerTotalMeanMs = timing?.TotalMs,
            QueueMeanMs = timing?.QueueMs,
            ComputeMeanMs = timing?.ComputeMs,
            SendLagP99Ms = probe.SendLagMs.P99,
        };
    }

    /// <summary>
    /// The server's CPU µs per OK response of a probe: its CPU time over the run less what the idle
    /// server burns anyway over the same time, ÷ OK responses; null without a CPU reading, with no
    /// OK response, or, when the reading is /proc's 10 ms ticks, below a tenth of the core.
    /// </summary>
    internal static double? CpuUsPerOk(ProbeResult probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        var cpu = probe.ServerCpuSeconds - ((probe.ServerIdleCpuPerSecond ?? 0) * probe.DurationSeconds);
        var busy = probe.ServerCpuSeconds / probe.DurationSeconds;
        var precise = probe.ServerCpuSource == CpuReading.Schedstat; // ns: no tick noise to guard against
        return probe.Ok > 0 && cpu is not null && (precise || busy >= MinCoreBusy) ? cpu * 1e6 / probe.Ok : null;
    }

    /// <summary>ONNX Runtime's time per OK response: the growth of <c>serving_compute_duration_seconds_sum</c> (per batch) ÷ OK responses.</summary>
    internal static double? ComputeUsPerOk(ProbeResult probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return probe.Ok > 0 && probe.MetricsDelta?.ComputeSecondsSum is { } compute ? compute * 1e6 / probe.Ok : null;
    }

    /// <summary>Mean rows per batch over the probe (from /metrics); null without batches.</summary>
    internal static double? BatchRowsMean(ProbeResult probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return probe.MetricsDelta is { BatchCount: > 0 } m ? m.BatchRowsSum / m.BatchCount : null;
    }

    /// <summary>Raw ORT µs per row at a batch size, interpolated (log-linear) between the measured sizes.</summary>
    internal static double? RawUsPerRow(RawOrtResult? raw, double batchRows)
    {
        if (raw is null || raw.Sizes.Count == 0)
        {
            return null;
        }

        var points = raw.Sizes.Select(s => (Rows: (double)s.BatchRows, UsPerRow: 1e6 / s.RowsPerSecond)).OrderBy(p => p.Rows).ToList();
        if (batchRows <= points[0].Rows)
        {
            return points[0].UsPerRow;
        }

        for (var i = 1; i < points.Count; i++)
        {
            if (batchRows <= points[i].Rows)
            {
                var t = (Math.Log(batchRows) - Math.Log(points[i - 1].Rows)) / (Math.Log(points[i].Rows) - Math.Log(points[i - 1].Rows));
                return points[i - 1].UsPerRow + (t * (points[i].UsPerRow - points[i - 1].UsPerRow));
            }
        }

        return points[^1].UsPerRow;
    }
}
