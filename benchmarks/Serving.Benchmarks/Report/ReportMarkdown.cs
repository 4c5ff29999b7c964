using System.Text;
using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>table.md: the results as the Markdown tables docs/benchmarks.md quotes.</summary>
internal static class ReportMarkdown
{
    /// <param name="results">What results.json holds.</param>
    /// <param name="overloadBaseRate">The adaptive goodput for the overload's request size, which the overload is a multiple of.</param>
    public static string Write(BenchmarkResults results, double? overloadBaseRate)
    {
        ArgumentNullException.ThrowIfNull(results);
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');

        Header(results, Line);
        Targets(results.Targets, Line);
        if (results.BatchingCeiling is { } ceiling)
        {
            Ceiling(ceiling, Line);
        }

        if (results.Overload is { } overload)
        {
            Overload(overload, results.AfterOverload, results.OverloadStepRun, overloadBaseRate, Line);
        }

        if (results.Breakdown.Count > 0)
        {
            Breakdown(results, Line);
        }

        if (results.Micro is { Count: > 0 } cases)
        {
            Micro(cases, Line);
        }

        return md.ToString();
    }

    private static void Header(BenchmarkResults results, Action<string> line)
    {
        var machine = results.Machine;
        var raw = results.RawOrt;
        line($"Revision {machine.Revision}. Machine: {machine.CpuModel}, {machine.Cores} cores, {machine.MemoryGiB} GiB; .NET {machine.DotnetRuntime}, ONNX Runtime {machine.OnnxRuntime}; " +
             $"load average {machine.LoadAverageAtStart} at start, {machine.LoadAverageAtEnd} at end. Server pinned to core 0 (1 replica × 1 intra-op thread), load generator to core 1.");
        line("");
        line("Goodput at SLO (p99 ≤ 10 ms, errors < 0.1%), criteo-deepfm, gRPC:");
        line("");
        line("| configuration | workload | goodput req/s | rows/s | ÷ raw ONNX Runtime rows/s | p50 / p99 at goodput (ms) | generator send lag p50 / p99 (ms) |");
        line("|---|---|---:|---:|---:|---:|---:|");
        if (raw is not null)
        {
            line($"| raw ONNX Runtime, in-process loop, 1 core (best batch: {raw.BestBatchRows} rows) | any | – | {F0(raw.BestRowsPerSecond)} | 1.00 | {F(raw.Best?.P50Ms, "0.00")} / {F(raw.Best?.P99Ms, "0.00")} per run | – |");
        }

        foreach (var g in results.Goodput.Values)
        {
            var note = g.HitMaxRate == true ? " (max rate reached)" : "";
            line($"| server, `{g.Mode}` | {g.Workload} | {F(g.AchievedRate, "0")}{note} | {F0(g.RowsPerSecond)} | {F(g.RatioToRawOrt, "0.000")} | {F(g.P50MsAtGoodput, "0.00")} / {F(g.P99Ms, "0.00")} | {F(g.SendLagP50Ms, "0.0")} / {F(g.SendLagP99Ms, "0.0")} |");
        }
    }

    private static void Targets(IReadOnlyList<TargetResult> targets, Action<string> line)
    {
        line("");
        line("Targets:");
        line("");
        line("| target | measured | goal | verdict |");
        line("|---|---:|---:|---|");
        foreach (var t in targets)
        {
            line($"| {t.Name} | {t.MeasuredText} | {t.GoalText} | {t.Verdict} |");
        }
    }

    private static void Ceiling(BatchingCeiling ceiling, Action<string> line)
    {
        string Probe(string mode)
        {
            var probe = ceiling.For(mode);
            return $"`{mode}` {F0(probe.OkRate)}" +
                (probe.Saturated ? "" : $" (not counted: core {F(probe.CoreBusy * 100, "0")}% busy, send lag p99 {F(probe.SendLagP99Ms, "0.0")} ms)");
        }

        line("");
        line($"Batching's ceiling on this machine (10-candidate requests offered at {F0(ceiling.OfferedRate)} req/s for 8 s, above every mode's capacity, a fresh server per mode; " +
             $"a probe counts when the server's core was ≥ {BatchingCeiling.SaturatedCoreShare * 100:0}% busy and the generator's send lag p99 ≤ {BatchingCeiling.MaxSaturationSendLagMs:0} ms): OK/s {Probe("adaptive")}, {Probe("static")}, {Probe("none")}. " +
             (ceiling.BestOverNone is { } best
                 ? $"The most any counted mode answers is {F(best, "0.00")}× `none`'s most: what batching can gain here. "
                 : "No ceiling this run: `none` or every other mode did not count. ") +
             (ceiling.AdaptiveOverNoneGoodputBound is { } bound
                 ? $"Goodput cannot exceed throughput, so `adaptive` ÷ `none` goodput can reach at most {F(bound, "0.00")}× in this run (`adaptive`'s most ÷ `none`'s goodput)."
                 : ""));
    }

    private static void Overload(ProbeResult overload, ProbeResult? afterOverload, OverloadStepRun? stepRun, double? overloadBaseRate, Action<string> line)
    {
        var offered = overload.OfferedRate;
        var ok = overload.LatencyMsByStatus.GetValueOrDefault("OK");
        var rejected = overload.LatencyMsByStatus.GetValueOrDefault("RESOURCE_EXHAUSTED");
        var late = overload.LatencyMsByStatus.GetValueOrDefault("DEADLINE_EXCEEDED");
        var okService = overload.ServiceMsByStatus.GetValueOrDefault("OK");
        var rejectedService = overload.ServiceMsByStatus.GetValueOrDefault("RESOURCE_EXHAUSTED");
        line("");
        line($"Overload (`adaptive`, candidates `{overload.Candidates}`, {F(overload.DurationSeconds, "0")} s open-loop Poisson at {F0(offered)} req/s = {F(Ratio(offered, overloadBaseRate), "0.0")}× the adaptive goodput for that size; budget {overload.SloMs} ms):");
        line("");
        line("| offered req/s | OK/s | rejected (RESOURCE_EXHAUSTED) | accepted p50 / p99 (ms) | rejections p50 / p99 (ms) | DEADLINE_EXCEEDED | OK answered after the budget | client drops | send lag p99 (ms) | from the actual send: accepted p99 / rejections p99 (ms) | server handler p50 / p99 of accepted (ms) |");
        line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        line($"| {F0(overload.Sent / overload.DurationSeconds)} | {F0(overload.OkRate)} | {F(overload.RejectedShare * 100, "0.0")}% | {F(ok?.P50, "0.00")} / {F(ok?.P99, "0.00")} | {F(rejected?.P50, "0.000")} / {F(rejected?.P99, "0.000")} | {F0(late?.Count ?? 0)} | {F0(overload.OkAfterSlo)} | {F0(overload.Dropped)} | {F(overload.SendLagMs.P99, "0.00")} | {F(okService?.P99, "0.00")} / {F(rejectedService?.P99, "0.000")} | {F(overload.ServerTotalMsOk.P50, "0.00")} / {F(overload.ServerTotalMsOk.P99, "0.00")} |");
        if (afterOverload is not null)
        {
            line("");
            line($"Right after it, {F0(afterOverload.OfferedRate)} req/s (a quarter of the goodput) for {F(afterOverload.DurationSeconds, "0")} s: " +
                 $"{F((double)afterOverload.Ok / afterOverload.Offered * 100, "0.0")}% OK, {F(afterOverload.RejectedShare * 100, "0.0")}% rejected, OK p99 {F(afterOverload.LatencyMsByStatus.GetValueOrDefault("OK")?.P99, "0.00")} ms.");
        }

        if (stepRun is not null)
        {
            line("");
            line($"Load-generator step run on a fresh server ({stepRun.Schedule}): OK/s {stepRun.OkPerSecondText} (seconds 0–4 / 5–14 / 15–19); statuses {stepRun.StatusCounts}.");
        }
    }

    private static void Breakdown(BenchmarkResults results, Action<string> line)
    {
        line("");
        line("Where the time goes, at each configuration's goodput rate (4 s probe run; per-request means; CPU of the server process on core 0 less its idle use, shown only when the core was at least 10% busy; parse/assemble/respond from the hot-path benchmark at the nearest request size; other = CPU − compute − parse − assemble − respond):");
        line("");
        line("| configuration | workload | OK req/s | OK rows/s (÷ raw) | rows/req | rows/batch | server core busy | CPU µs/req | ORT compute µs/req | parse µs/req | assemble µs/req | respond µs/req | other µs/req (gRPC/HTTP2, batcher, GC) | CPU µs/row | raw ORT µs/row at that batch | mean ms: client (from intended / actual send) / server handler / queue / compute | p50 ms: from actual send / server handler |");
        line("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        foreach (var (id, b) in results.Breakdown)
        {
            var at = results.Goodput.GetValueOrDefault(id) is { GoodputRate: null } ? " (no passing rate; at the lowest rate tried)" : "";
            line($"| `{b.Mode}`{at} | {b.Workload} | {F0(b.OkRate)} | {F0(b.OkRowsPerSecond)} ({F(b.RatioToRawOrt, "0.000")}) | {F(b.RowsPerRequest, "0.0")} | {F(b.BatchRowsMean, "0")} | {F(b.ServerCoreBusy * 100, "0")}% | {F0(b.CpuUsPerRequest)} | {F0(b.ComputeUsPerRequest)} | {F0(b.ParseUsPerRequest)} | {F0(b.AssembleUsPerRequest)} | {F(b.RespondUsPerRequest, "0.0")} | {F0(b.OtherUsPerRequest)} | {F(b.CpuUsPerRow, "0.00")} | {F(b.RawOrtUsPerRowAtBatch, "0.00")} | {F(b.ClientMeanMs, "0.00")} / {F(b.ServiceMeanMs, "0.00")} / {F(b.ServerTotalMeanMs, "0.00")} / {F(b.QueueMeanMs, "0.00")} / {F(b.ComputeMeanMs, "0.00")} | {F(b.ServiceP50Ms, "0.00")} / {F(b.ServerTotalP50Ms, "0.00")} |");
        }
    }

    private static void Micro(IReadOnlyList<MicroCase> cases, Action<string> line)
    {
        line("");
        line("Hot path (BenchmarkDotNet, in-process short job, core 0; synthetic criteo-deepfm requests):");
        line("");
        line("| step | candidates | mean µs/request | ns/candidate | allocated B/request | B/candidate |");
        line("|---|---:|---:|---:|---:|---:|");
        foreach (var m in cases)
        {
            line($"| {m.Method} | {m.Candidates} | {F(m.MeanNs / 1000, "0.0")} | {F0(m.NsPerCandidate)} | {F0(m.BytesPerRequest)} | {F(m.BytesPerCandidate, "0.0")} |");
        }

        foreach (var method in cases.Select(m => m.Method).Distinct())
        {
            line($"{(method == cases[0].Method ? "\n" : "")}- {method}: {F(MicroBenchmarks.Marginal(cases, method!), "0.0")} B per extra candidate (slope between the smallest and largest request).");
        }
    }
}
