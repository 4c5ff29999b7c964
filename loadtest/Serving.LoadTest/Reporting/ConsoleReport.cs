using System.Globalization;

namespace Serving.LoadTest.Reporting;

/// <summary>The human-readable end-of-run summary printed to stdout.</summary>
internal static class ConsoleReport
{
    public static void Print(TextWriter writer, RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(summary);
        var c = CultureInfo.InvariantCulture;
        writer.WriteLine(string.Create(c, $"model {summary.Model} via {summary.Transport} {summary.Target}; {summary.Schedule}; {summary.Arrivals}; candidates {summary.Candidates} (pool mean {summary.MeanCandidatesPerRequest:0.#})"));
        writer.WriteLine("features: " + summary.Workload);
        writer.WriteLine(string.Create(c, $"window {summary.DurationSeconds:0.###} s: offered {summary.Offered} ({summary.OfferedRate:0.#}/s), ok {summary.Succeeded} ({summary.AchievedRate:0.#}/s, {summary.RowsPerSecond:0} rows/s), errors {summary.Errors} ({summary.ErrorRate * 100:0.###}%), dropped {summary.Dropped}"));
        var l = summary.LatencyMs;
        writer.WriteLine(string.Create(c, $"latency ms (from intended send): p50 {Ms(l.P50)}  p90 {Ms(l.P90)}  p95 {Ms(l.P95)}  p99 {Ms(l.P99)}  p99.9 {Ms(l.P999)}  max {Ms(l.Max)}"));
        writer.WriteLine(string.Create(c, $"generator send lag ms: p99 {Ms(summary.SendLagMs.P99)}  max {Ms(summary.SendLagMs.Max)}"));
        if (summary.ServerTiming is { } server)
        {
            writer.WriteLine(string.Create(c, $"server timing ms ({server.Responses} OK responses): total p50 {Ms(server.TotalMs.P50)} p99 {Ms(server.TotalMs.P99)}  queue p50 {Ms(server.QueueMs.P50)} p99 {Ms(server.QueueMs.P99)}  compute p50 {Ms(server.ComputeMs.P50)} p99 {Ms(server.ComputeMs.P99)}  batch rows mean {server.MeanBatchRows:0.#}  on {string.Join(", ", server.Devices.Select(d => $"{d.Key} {d.Value}"))}"));
        }

        writer.WriteLine("status: " + string.Join("  ", summary.StatusCounts.Select(p => string.Create(c, $"{p.Key}={p.Value}"))));
        if (summary.WithinSlo is { } within)
        {
            writer.WriteLine(string.Create(c, $"SLO p99 <= {summary.SloMs:0.###} ms with errors < 0.1%: {(within ? "met" : "MISSED")}"));
        }

        if (summary.Cancelled)
        {
            writer.WriteLine("run was cancelled before the end of its schedule");
        }
    }

    private static string Ms(double? value) =>
        value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "-";
}
