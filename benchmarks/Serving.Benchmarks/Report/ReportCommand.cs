using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serving.Benchmarks;

/// <summary>
/// Reads one scripts/benchmark.sh run (raw-ort.json, goodput/*/goodput.json, probe/*.json,
/// overload.json, micro/ BenchmarkDotNet JSON) and writes results.json and table.md next to them:
/// the goodput table with every ratio to raw ONNX Runtime, the targets and by how much each is met
/// or missed, the overload run, and where the time goes.
/// </summary>
public static class ReportCommand
{
    public static readonly string[] Modes = ["adaptive", "static", "none"];

    public static readonly (string Key, string Title)[] Workloads = [("criteo", "Criteo mix"), ("small", "10 candidates"), ("medium", "100 candidates")];

    /// <summary>The workload key of a fixed-size candidates spec (the overload run's), or null.</summary>
    private static string? WorkloadOf(string? candidates) => candidates switch
    {
        "fixed:10" => "small",
        "fixed:100" => "medium",
        "fixed:1000" => "large",
        _ => null,
    };

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        var dir = RawOrtCommand.Arg(args, "--dir") ?? Path.Combine(RepoPaths.Root, "artifacts", "bench");
        var raw = Load(Path.Combine(dir, "raw-ort.json"));
        var rawRows = raw?["bestRowsPerSecond"]?.GetValue<double>();
        var micro = LoadMicro(dir);
        var machine = Machine(dir, raw);

        var goodput = new JsonObject();
        var rows = new List<(string Mode, string Workload, string Title, JsonNode? Result)>();
        foreach (var (key, title) in Workloads)
        {
            foreach (var mode in Modes)
            {
                var result = Load(Path.Combine(dir, "goodput", $"{mode}-{key}", "goodput.json"));
                rows.Add((mode, key, title, result));
                var rowsPerSecond = Num(result, "rowsPerSecond");
                var atGoodput = StepSummary(dir, mode, key, result);
                goodput[$"{mode}-{key}"] = new JsonObject
                {
                    ["p50MsAtGoodput"] = Num(atGoodput?["latencyMs"], "p50"),
                    ["sendLagP50Ms"] = Num(atGoodput?["sendLagMs"], "p50"),
                    ["sendLagP99Ms"] = Num(atGoodput?["sendLagMs"], "p99"),
                    ["mode"] = mode,
                    ["workload"] = title,
                    ["goodputRate"] = Num(result, "goodputRate"),
                    ["achievedRate"] = Num(result, "achievedRate"),
                    ["rowsPerSecond"] = rowsPerSecond,
                    ["p99Ms"] = Num(result, "p99Ms"),
                    ["firstFailingRate"] = Num(result, "firstFailingRate"),
                    ["hitMaxRate"] = result?["hitMaxRate"]?.GetValue<bool>(),
                    ["steps"] = (result?["steps"] as JsonArray)?.Count,
                    ["ratioToRawOrt"] = Ratio(rowsPerSecond, rawRows),
                };
            }
        }

        double? Rate(string id) => Num(goodput[id], "achievedRate");
        double? Rows(string id) => Num(goodput[id], "rowsPerSecond");
        var adaptiveVsNoneSmall = Ratio(Rate("adaptive-small"), Rate("none-small"));
        var adaptiveVsRawCriteo = Ratio(Rows("adaptive-criteo"), rawRows);
        var ceiling = BatchingCeiling(Path.Combine(dir, "probe"), Rate("none-small"));
        var overload = Load(Path.Combine(dir, "overload.json"));
        var afterOverload = Load(Path.Combine(dir, "after-overload.json"));
        var overloadRun = OverloadRun(dir);
        var breakdown = Breakdown(dir, micro, rawRows);

        var assembleMarginal = Marginal(micro, "Assemble");
        var okP99 = Num(overload?["latencyMsByStatus"]?["OK"], "p99");
        var rejectP99 = Num(overload?["latencyMsByStatus"]?["RESOURCE_EXHAUSTED"], "p99");
        var budget = Num(overload, "sloMs") ?? 10;
        var targets = new JsonArray
        {
            Target("server (adaptive) ÷ raw ONNX Runtime rows/s, Criteo mix", adaptiveVsRawCriteo, 0.85, higherIsBetter: true, "×", "0.000"),
            Target("adaptive ÷ none goodput, 10-candidate requests", adaptiveVsNoneSmall, 2.5, higherIsBetter: true, "×"),
            Target("feature assembly: bytes allocated per extra candidate", assembleMarginal, 0, higherIsBetter: false, "B"),
            Target("overload: accepted requests' p99 within the budget", okP99, budget, higherIsBetter: false, "ms"),
            Target("overload: rejections' p99 latency", rejectP99, 1, higherIsBetter: false, "ms"),
        };

        var results = new JsonObject
        {
            ["schemaVersion"] = 1,
            ["generatedAtUtc"] = DateTimeOffset.UtcNow.ToString("O", C),
            ["machine"] = machine,
            ["sloMs"] = 10,
            ["rawOrt"] = raw?.DeepClone(),
            ["goodput"] = goodput,
            ["ratios"] = new JsonObject
            {
                ["adaptiveOverRawCriteo"] = adaptiveVsRawCriteo,
                ["adaptiveOverNoneSmall"] = adaptiveVsNoneSmall,
                ["adaptiveOverStaticSmall"] = Ratio(Rate("adaptive-small"), Rate("static-small")),
                ["adaptiveOverNoneMedium"] = Ratio(Rate("adaptive-medium"), Rate("none-medium")),
                ["adaptiveOverStaticMedium"] = Ratio(Rate("adaptive-medium"), Rate("static-medium")),
                ["adaptiveOverNoneCriteo"] = Ratio(Rate("adaptive-criteo"), Rate("none-criteo")),
                ["adaptiveOverStaticCriteo"] = Ratio(Rate("adaptive-criteo"), Rate("static-criteo")),
            },
            ["targets"] = targets,
            ["batchingCeiling"] = ceiling,
            ["overload"] = overload?.DeepClone(),
            ["afterOverload"] = afterOverload?.DeepClone(),
            ["overloadStepRun"] = overloadRun,
            ["breakdown"] = breakdown,
            ["micro"] = micro?.DeepClone(),
        };

        Directory.CreateDirectory(Path.Combine(dir, "plots"));
        if (raw is not null)
        {
            ReportPlots.WriteRawOrt(raw, Path.Combine(dir, "plots", "raw-ort.png"));
        }

        foreach (var (key, title) in Workloads)
        {
            ReportPlots.WriteGoodput(dir, key, title, rawRows, Path.Combine(dir, "plots", $"goodput-{key}.png"));
        }

        // The overload's size may be one searched for the overload alone (adaptive only, not in the tables).
        var overloadBase = WorkloadOf(overload?["candidates"]?.GetValue<string>()) is { } w
            ? Rate($"adaptive-{w}") ?? Num(Load(Path.Combine(dir, "goodput", $"adaptive-{w}", "goodput.json")), "achievedRate")
            : null;
        var table = Markdown(machine, raw, rawRows, rows, goodput, targets, ceiling, overload, afterOverload, overloadRun, overloadBase, breakdown, micro);
        File.WriteAllText(Path.Combine(dir, "results.json"), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        File.WriteAllText(Path.Combine(dir, "table.md"), table);
        Console.Write(table);
        return 0;
    }

    private static string Markdown(
        JsonObject machine, JsonNode? raw, double? rawRows,
        List<(string Mode, string Workload, string Title, JsonNode? Result)> rows, JsonObject goodput,
        JsonArray targets, JsonObject? ceiling, JsonNode? overload, JsonNode? afterOverload, JsonObject? overloadRun, double? overloadBaseRate, JsonObject breakdown, JsonNode? micro)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');

        Line($"Revision {machine["revision"]}. Machine: {machine["cpuModel"]}, {machine["cores"]} cores, {machine["memoryGiB"]} GiB; .NET {machine["dotnetRuntime"]}, ONNX Runtime {machine["onnxRuntime"]}; " +
             $"load average {machine["loadAverageAtStart"]} at start, {machine["loadAverageAtEnd"]} at end. Server pinned to core 0 (1 replica × 1 intra-op thread), load generator to core 1.");
        Line();
        Line("Goodput at SLO (p99 ≤ 10 ms, errors < 0.1%), criteo-deepfm, gRPC:");
        Line();
        Line("| configuration | workload | goodput req/s | rows/s | ÷ raw ONNX Runtime rows/s | p50 / p99 at goodput (ms) | generator send lag p50 / p99 (ms) |");
        Line("|---|---|---:|---:|---:|---:|---:|");
        if (raw is not null)
        {
            Line($"| raw ONNX Runtime, in-process loop, 1 core (best batch: {raw["bestBatchRows"]} rows) | any | – | {F0(rawRows)} | 1.00 | {F(Num(LimitSize(raw), "p50Ms"), "0.00")} / {F(Num(LimitSize(raw), "p99Ms"), "0.00")} per run | – |");
        }

        foreach (var (mode, workload, title, _) in rows)
        {
            var g = goodput[$"{mode}-{workload}"];
            var note = g?["hitMaxRate"]?.GetValue<bool>() == true ? " (max rate reached)" : "";
            Line($"| server, `{mode}` | {title} | {F(Num(g, "achievedRate"), "0")}{note} | {F0(Num(g, "rowsPerSecond"))} | {F(Num(g, "ratioToRawOrt"), "0.000")} | {F(Num(g, "p50MsAtGoodput"), "0.00")} / {F(Num(g, "p99Ms"), "0.00")} | {F(Num(g, "sendLagP50Ms"), "0.0")} / {F(Num(g, "sendLagP99Ms"), "0.0")} |");
        }

        Line();
        Line("Targets:");
        Line();
        Line("| target | measured | goal | verdict |");
        Line("|---|---:|---:|---|");
        foreach (var t in targets)
        {
            Line($"| {t!["name"]} | {t["measuredText"]} | {t["goalText"]} | {t["verdict"]} |");
        }

        if (ceiling is not null)
        {
            string Probe(string mode) =>
                $"`{mode}` {F0(Num(ceiling, $"{mode}OkRate"))}" +
                (ceiling[$"{mode}Saturated"]?.GetValue<bool>() == true ? "" :
                    $" (not counted: core {F(Num(ceiling, $"{mode}CoreBusy") * 100, "0")}% busy, send lag p99 {F(Num(ceiling, $"{mode}SendLagP99Ms"), "0.0")} ms)");
            Line();
            Line($"Batching's ceiling on this machine (10-candidate requests offered at {F0(Num(ceiling, "offeredRate"))} req/s for 8 s, above every mode's capacity, a fresh server per mode; " +
                 $"a probe counts when the server's core was ≥ {SaturatedCoreShare * 100:0}% busy and the generator's send lag p99 ≤ {MaxSaturationSendLagMs:0} ms): OK/s {Probe("adaptive")}, {Probe("static")}, {Probe("none")}. " +
                 (Num(ceiling, "bestOverNone") is { } best
                     ? $"The most any counted mode answers is {F(best, "0.00")}× `none`'s most: what batching can gain here. "
                     : "No ceiling this run: `none` or every other mode did not count. ") +
                 (Num(ceiling, "adaptiveOverNoneGoodputBound") is { } bound
                     ? $"Goodput cannot exceed throughput, so `adaptive` ÷ `none` goodput can reach at most {F(bound, "0.00")}× in this run (`adaptive`'s most ÷ `none`'s goodput)."
                     : ""));
        }

        if (overload is not null)
        {
            var offered = Num(overload, "offeredRate");
            var ok = overload["latencyMsByStatus"]?["OK"];
            var rejected = overload["latencyMsByStatus"]?["RESOURCE_EXHAUSTED"];
            var late = overload["latencyMsByStatus"]?["DEADLINE_EXCEEDED"];
            Line();
            Line($"Overload (`adaptive`, candidates `{overload["candidates"]}`, {F(Num(overload, "durationSeconds"), "0")} s open-loop Poisson at {F0(offered)} req/s = {F(Ratio(offered, overloadBaseRate), "0.0")}× the adaptive goodput for that size; budget {Num(overload, "sloMs")} ms):");
            Line();
            Line("| offered req/s | OK/s | rejected (RESOURCE_EXHAUSTED) | accepted p50 / p99 (ms) | rejections p50 / p99 (ms) | DEADLINE_EXCEEDED | OK answered after the budget | client drops | send lag p99 (ms) | from the actual send: accepted p99 / rejections p99 (ms) | server handler p50 / p99 of accepted (ms) |");
            Line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            Line($"| {F0(Num(overload, "sent") / Num(overload, "durationSeconds"))} | {F0(Num(overload, "okRate"))} | {F(Num(overload, "rejectedShare") * 100, "0.0")}% | {F(Num(ok, "p50"), "0.00")} / {F(Num(ok, "p99"), "0.00")} | {F(Num(rejected, "p50"), "0.000")} / {F(Num(rejected, "p99"), "0.000")} | {F0(Num(late, "count") ?? 0)} | {F0(Num(overload, "okAfterSlo"))} | {F0(Num(overload, "dropped"))} | {F(Num(overload["sendLagMs"], "p99"), "0.00")} | {F(Num(overload["serviceMsByStatus"]?["OK"], "p99"), "0.00")} / {F(Num(overload["serviceMsByStatus"]?["RESOURCE_EXHAUSTED"], "p99"), "0.000")} | {F(Num(overload["serverTotalMsOk"], "p50"), "0.00")} / {F(Num(overload["serverTotalMsOk"], "p99"), "0.00")} |");
            if (afterOverload is not null)
            {
                var offeredAfter = Num(afterOverload, "offered");
                Line();
                Line($"Right after it, {F0(Num(afterOverload, "offeredRate"))} req/s (a quarter of the goodput) for {F(Num(afterOverload, "durationSeconds"), "0")} s: " +
                     $"{F(Num(afterOverload, "ok") / offeredAfter * 100, "0.0")}% OK, {F(Num(afterOverload, "rejectedShare") * 100, "0.0")}% rejected, OK p99 {F(Num(afterOverload["latencyMsByStatus"]?["OK"], "p99"), "0.00")} ms.");
            }

            if (overloadRun is not null)
            {
                Line();
                Line($"Load-generator step run on a fresh server ({overloadRun["schedule"]}): OK/s {overloadRun["okPerSecondText"]} (seconds 0–4 / 5–14 / 15–19); statuses {overloadRun["statusCounts"]}.");
            }
        }

        if (breakdown.Count > 0)
        {
            Line();
            Line("Where the time goes, at each configuration's goodput rate (4 s probe run; per-request means; CPU of the server process on core 0 less its idle use, shown only when the core was at least 10% busy; parse/assemble/respond from the hot-path benchmark at the nearest request size; other = CPU − compute − parse − assemble − respond):");
            Line();
            Line("| configuration | workload | OK req/s | OK rows/s (÷ raw) | rows/req | rows/batch | server core busy | CPU µs/req | ORT compute µs/req | parse µs/req | assemble µs/req | respond µs/req | other µs/req (gRPC/HTTP2, batcher, GC) | CPU µs/row | raw ORT µs/row at that batch | mean ms: client (from intended / actual send) / server handler / queue / compute | p50 ms: from actual send / server handler |");
            Line("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
            foreach (var (id, b) in breakdown)
            {
                var at = !goodput.ContainsKey(id) ? "" : goodput[id]?["goodputRate"] is null ? " (no passing rate; at the lowest rate tried)" : "";
                Line($"| `{b!["mode"]}`{at} | {b["workload"]} | {F0(Num(b, "okRate"))} | {F0(Num(b, "okRowsPerSecond"))} ({F(Num(b, "ratioToRawOrt"), "0.000")}) | {F(Num(b, "rowsPerRequest"), "0.0")} | {F(Num(b, "batchRowsMean"), "0")} | {F(Num(b, "serverCoreBusy") * 100, "0")}% | {F0(Num(b, "cpuUsPerRequest"))} | {F0(Num(b, "computeUsPerRequest"))} | {F0(Num(b, "parseUsPerRequest"))} | {F0(Num(b, "assembleUsPerRequest"))} | {F(Num(b, "respondUsPerRequest"), "0.0")} | {F0(Num(b, "otherUsPerRequest"))} | {F(Num(b, "cpuUsPerRow"), "0.00")} | {F(Num(b, "rawOrtUsPerRowAtBatch"), "0.00")} | {F(Num(b, "clientMeanMs"), "0.00")} / {F(Num(b, "serviceMeanMs"), "0.00")} / {F(Num(b, "serverTotalMeanMs"), "0.00")} / {F(Num(b, "queueMeanMs"), "0.00")} / {F(Num(b, "computeMeanMs"), "0.00")} | {F(Num(b, "serviceP50Ms"), "0.00")} / {F(Num(b, "serverTotalP50Ms"), "0.00")} |");
            }
        }

        if (micro is JsonArray cases && cases.Count > 0)
        {
            Line();
            Line("Hot path (BenchmarkDotNet, in-process short job, core 0; synthetic criteo-deepfm requests):");
            Line();
            Line("| step | candidates | mean µs/request | ns/candidate | allocated B/request | B/candidate |");
            Line("|---|---:|---:|---:|---:|---:|");
            foreach (var m in cases)
            {
                Line($"| {m!["method"]} | {m["candidates"]} | {F(Num(m, "meanNs") / 1000, "0.0")} | {F0(Num(m, "nsPerCandidate"))} | {F0(Num(m, "bytesPerRequest"))} | {F(Num(m, "bytesPerCandidate"), "0.0")} |");
            }

            foreach (var method in cases.Select(m => m!["method"]!.GetValue<string>()).Distinct())
            {
                Line($"{(method == cases[0]!["method"]!.GetValue<string>() ? "\n" : "")}- {method}: {F(Marginal(micro, method), "0.0")} B per extra candidate (slope between the smallest and largest request).");
            }
        }

        return md.ToString();
    }

    private static JsonObject Breakdown(string dir, JsonNode? micro, double? rawRows)
    {
        var result = new JsonObject();
        var raw = Load(Path.Combine(dir, "raw-ort.json"));
        var runs = new List<(string Id, string Mode, string Title)>();
        foreach (var (key, title) in Workloads)
        {
            foreach (var mode in Modes)
            {
                runs.Add(($"{mode}-{key}", mode, title));
                if (mode == "adaptive" && key == "criteo")
                {
                    runs.Add(("adaptive-criteo-throughput", mode, "Criteo mix, throughput probe (SLO not met)"));
                    runs.Add(("adaptive-largest", mode, "1,024 candidates alone (5 req/s)"));
                }
            }
        }

        foreach (var mode in Modes)
        {
            runs.Add(($"{mode}-small-saturation", mode, "10 candidates, saturation probe (SLO ignored)"));
        }

        foreach (var (id, mode, title) in runs)
        {
            {
                var probe = Load(Path.Combine(dir, "probe", $"{id}.json"));
                if (probe is null)
                {
                    continue;
                }

                var ok = Num(probe, "ok") ?? 0;
                var duration = Num(probe, "durationSeconds") ?? 1;
                var rowsPerRequest = Num(probe, "meanCandidatesPerRequest") ?? 0;
                // The run's CPU less what the idle server burns anyway over the same time.
                var cpu = Num(probe, "serverCpuSeconds") - ((Num(probe, "serverIdleCpuPerSecond") ?? 0) * duration);
                var compute = Num(probe["metricsDelta"], "serving_compute_duration_seconds_sum");
                var batches = Num(probe["metricsDelta"], "serving_batch_rows_count");
                var batchRows = batches is > 0 ? Num(probe["metricsDelta"], "serving_batch_rows_sum") / batches : null;
                var parse = PerRequest(micro, "Parse", rowsPerRequest);
                var assemble = PerRequest(micro, "Assemble", rowsPerRequest);
                var respond = PerRequest(micro, "Respond", rowsPerRequest, perCandidate: false);
                // CPU time comes in 10 ms ticks: below a tenth of the core over the run it is noise.
                var busy = Num(probe, "serverCpuSeconds") / duration;
                double? cpuUs = ok > 0 && cpu is not null && busy >= 0.1 ? cpu * 1e6 / ok : null;
                double? computeUs = ok > 0 && compute is not null ? compute * 1e6 / ok : null;
                var timing = probe["serverTimingMeansOk"];
                result[id] = new JsonObject
                {
                    ["mode"] = mode,
                    ["workload"] = title,
                    ["offeredRate"] = Num(probe, "offeredRate"),
                    ["okRate"] = Num(probe, "okRate"),
                    ["errors"] = (Num(probe, "offered") ?? 0) - ok,
                    ["rowsPerRequest"] = rowsPerRequest,
                    ["batchRowsMean"] = batchRows,
                    ["serverCoreBusy"] = Num(probe, "serverCpuSeconds") / duration,
                    ["serverIdleCpuPerSecond"] = Num(probe, "serverIdleCpuPerSecond"),
                    ["cpuUsPerRequest"] = cpuUs,
                    ["computeUsPerRequest"] = computeUs,
                    ["parseUsPerRequest"] = parse,
                    ["assembleUsPerRequest"] = assemble,
                    ["respondUsPerRequest"] = respond,
                    ["otherUsPerRequest"] = cpuUs - computeUs - parse - assemble - respond,
                    ["cpuUsPerRow"] = cpuUs / rowsPerRequest,
                    ["computeUsPerRow"] = computeUs / rowsPerRequest,
                    ["rawOrtUsPerRowAtBatch"] = batchRows is null ? null : RawUsPerRow(raw, batchRows.Value),
                    ["rawOrtUsPerRowBest"] = rawRows is > 0 ? 1e6 / rawRows : null,
                    ["clientMeanMs"] = Num(probe["latencyMsByStatus"]?["OK"], "mean"),
                    ["clientP99Ms"] = Num(probe["latencyMsByStatus"]?["OK"], "p99"),
                    ["serviceP50Ms"] = Num(probe["serviceMsByStatus"]?["OK"], "p50"),
                    ["serviceMeanMs"] = Num(probe["serviceMsByStatus"]?["OK"], "mean"),
                    ["serverTotalP50Ms"] = Num(probe["serverTotalMsOk"], "p50"),
                    ["okRowsPerSecond"] = Num(probe, "okRowsPerSecond"),
                    ["ratioToRawOrt"] = Ratio(Num(probe, "okRowsPerSecond"), rawRows),
                    ["statusCounts"] = (probe["latencyMsByStatus"] as JsonObject)?.ToJsonString(),
                    ["serverTotalMeanMs"] = Num(timing, "totalMs"),
                    ["queueMeanMs"] = Num(timing, "queueMs"),
                    ["computeMeanMs"] = Num(timing, "computeMs"),
                    ["sendLagP99Ms"] = Num(probe["sendLagMs"], "p99"),
                };
            }
        }

        return result;
    }

    /// <summary>
    /// The most OK/s each mode answered when offered more than any can take (the saturation probes),
    /// and what that bounds: no mode's goodput exceeds its throughput, so adaptive ÷ none goodput is
    /// at most adaptive's throughput ÷ none's goodput. A probe counts only when it saturated the
    /// server (its core at least <see cref="SaturatedCoreShare"/> busy) and the load generator kept
    /// its schedule (send lag p99 at most <see cref="MaxSaturationSendLagMs"/>): near the generator's
    /// own limit it sends in bursts, the server refuses them, and OK/s then measures the generator.
    /// </summary>
    private static JsonObject? BatchingCeiling(string probeDir, double? noneGoodput)
    {
        var probes = Modes.ToDictionary(m => m, m => Load(Path.Combine(probeDir, $"{m}-small-saturation.json")));
        if (probes.Values.All(p => p is null))
        {
            return null;
        }

        var result = new JsonObject { ["offeredRate"] = Num(probes.Values.First(p => p is not null), "offeredRate") };
        var valid = new Dictionary<string, double>();
        foreach (var (mode, probe) in probes)
        {
            var busy = Num(probe, "serverCpuSeconds") / Num(probe, "durationSeconds");
            var lag = Num(probe?["sendLagMs"], "p99");
            var ok = Num(probe, "okRate");
            var saturated = ok is not null && busy >= SaturatedCoreShare && lag <= MaxSaturationSendLagMs;
            result[$"{mode}OkRate"] = ok;
            result[$"{mode}CoreBusy"] = busy;
            result[$"{mode}SendLagP99Ms"] = lag;
            result[$"{mode}Saturated"] = saturated;
            if (saturated)
            {
                valid[mode] = ok!.Value;
            }
        }

        result["bestOverNone"] = valid.TryGetValue("none", out var none) && valid.Count > 1 ? Ratio(valid.Values.Max(), none) : null;
        result["adaptiveOverNoneGoodputBound"] = valid.TryGetValue("adaptive", out var adaptive) ? Ratio(adaptive, noneGoodput) : null;
        return result;
    }

    private const double SaturatedCoreShare = 0.9;
    private const double MaxSaturationSendLagMs = 10;

    /// <summary>The load generator's overload step run: OK/s before, during and after the overload.</summary>
    private static JsonObject? OverloadRun(string dir)
    {
        var series = Load(Path.Combine(dir, "overload-run", "timeseries.json")) as JsonArray;
        var summary = Load(Path.Combine(dir, "overload-run", "summary.json"));
        if (series is null || summary is null)
        {
            return null;
        }

        double? Mean(int from, int to)
        {
            var seconds = series.Where(p => Num(p, "second") is { } s && s >= from && s <= to).ToList();
            return seconds.Count == 0 ? null : seconds.Average(p => Num(p, "succeeded") ?? 0);
        }

        var (before, during, after) = (Mean(0, 4), Mean(5, 14), Mean(15, 19));
        return new JsonObject
        {
            ["schedule"] = summary["schedule"]?.GetValue<string>(),
            ["okPerSecondBefore"] = before,
            ["okPerSecondDuring"] = during,
            ["okPerSecondAfter"] = after,
            ["okPerSecondText"] = $"{F0(before)} / {F0(during)} / {F0(after)}",
            ["statusCounts"] = summary["statusCounts"]?.ToJsonString(),
            ["latencyMs"] = summary["latencyMs"]?.DeepClone(),
        };
    }

    /// <summary>Raw ORT µs per row at a batch size, interpolated (log-linear) between the measured sizes.</summary>
    private static double? RawUsPerRow(JsonNode? raw, double batchRows)
    {
        if (raw?["sizes"] is not JsonArray sizes || sizes.Count == 0)
        {
            return null;
        }

        var points = sizes.Select(s => (Rows: Num(s, "batchRows")!.Value, UsPerRow: 1e6 / Num(s, "rowsPerSecond")!.Value)).OrderBy(p => p.Rows).ToList();
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

    /// <summary>µs per request of a hot-path step for requests of <paramref name="candidates"/> rows, from the nearest measured size.</summary>
    private static double? PerRequest(JsonNode? micro, string method, double candidates, bool perCandidate = true)
    {
        if (micro is not JsonArray cases || candidates <= 0)
        {
            return null;
        }

        var nearest = cases.Where(m => m!["method"]!.GetValue<string>() == method)
            .OrderBy(m => Math.Abs(Math.Log(Num(m, "candidates")!.Value / candidates)))
            .FirstOrDefault();
        if (nearest is null)
        {
            return null;
        }

        return perCandidate ? Num(nearest, "nsPerCandidate") * candidates / 1000 : Num(nearest, "meanNs") / 1000;
    }

    private static double? Marginal(JsonNode? micro, string method)
    {
        if (micro is not JsonArray cases)
        {
            return null;
        }

        var same = cases.Where(m => m!["method"]!.GetValue<string>() == method).OrderBy(m => Num(m, "candidates")).ToList();
        if (same.Count < 2)
        {
            return null;
        }

        var (lo, hi) = (same[0], same[^1]);
        return (Num(hi, "bytesPerRequest") - Num(lo, "bytesPerRequest")) / (Num(hi, "candidates") - Num(lo, "candidates"));
    }

    private static JsonArray? LoadMicro(string dir)
    {
        var folder = Path.Combine(dir, "micro", "results");
        var file = Directory.Exists(folder) ? Directory.GetFiles(folder, "*HotPathBenchmarks-report-full.json").FirstOrDefault() : null;
        if (file is null)
        {
            return null;
        }

        var doc = JsonNode.Parse(File.ReadAllText(file));
        var cases = new JsonArray();
        foreach (var b in (doc?["Benchmarks"] as JsonArray) ?? [])
        {
            var parameters = b!["Parameters"]?.GetValue<string>() ?? "";
            var candidates = int.Parse(parameters.Split('=')[^1], C);
            var mean = Num(b["Statistics"], "Mean");
            var bytes = Num(b["Memory"], "BytesAllocatedPerOperation");
            cases.Add(new JsonObject
            {
                ["method"] = b["Method"]?.GetValue<string>(),
                ["candidates"] = candidates,
                ["meanNs"] = mean,
                ["nsPerCandidate"] = mean / candidates,
                ["bytesPerRequest"] = bytes,
                ["bytesPerCandidate"] = bytes / candidates,
            });
        }

        return cases;
    }

    private static JsonObject Machine(string dir, JsonNode? raw)
    {
        var cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];
        var model = cpuinfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var cores = cpuinfo.Count(l => l.StartsWith("processor", StringComparison.Ordinal));
        var memKb = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : null;
        var start = Path.Combine(dir, "loadavg-start.txt");
        var end = Path.Combine(dir, "loadavg-end.txt");
        return new JsonObject
        {
            ["cpuModel"] = model,
            ["cores"] = cores,
            ["memoryGiB"] = memKb is null ? null : Math.Round(double.Parse(memKb, C) / 1024 / 1024, 1),
            ["os"] = RuntimeInformation.OSDescription,
            ["dotnetRuntime"] = Environment.Version.ToString(),
            ["dotnetSdk"] = Environment.GetEnvironmentVariable("BENCH_DOTNET_SDK") ?? "?",
            ["onnxRuntime"] = raw?["onnxRuntimeVersion"]?.GetValue<string>() ?? "?",
            ["loadAverageAtStart"] = File.Exists(start) ? File.ReadAllText(start).Split(' ')[0] : "?",
            ["loadAverageAtEnd"] = File.Exists(end) ? File.ReadAllText(end).Split(' ')[0] : File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?",
            ["revision"] = File.Exists(Path.Combine(dir, "revision.txt")) ? File.ReadAllText(Path.Combine(dir, "revision.txt")).Trim() : "?",
            ["busyProcessesAtStart"] = File.Exists(Path.Combine(dir, "busy-start.txt")) ? File.ReadAllText(Path.Combine(dir, "busy-start.txt")).Trim() : "",
        };
    }

    private static JsonObject Target(string name, double? measured, double goal, bool higherIsBetter, string unit, string? format = null)
    {
        string verdict;
        if (measured is not { } m)
        {
            verdict = "not measured";
        }
        else if (higherIsBetter)
        {
            verdict = m >= goal
                ? $"met (+{F((m / goal - 1) * 100, "0")}%)"
                : $"missed: {F(m / goal * 100, m / goal < 0.1 ? "0.0" : "0")}% of the goal";
        }
        else if (goal == 0)
        {
            verdict = m <= 0.5 ? "met" : $"missed by {F(m, "0.#")} {unit}";
        }
        else
        {
            verdict = m <= goal
                ? $"met ({F((1 - (m / goal)) * 100, "0")}% under)"
                : $"missed: {F(m / goal, "0.0#")}× the goal";
        }

        var digits = format ?? (unit == "×" ? "0.00" : unit == "B" ? "0.0" : "0.000");
        return new JsonObject
        {
            ["name"] = name,
            ["measured"] = measured,
            ["goal"] = goal,
            ["higherIsBetter"] = higherIsBetter,
            ["measuredText"] = measured is null ? "–" : $"{F(measured, digits)} {unit}".Trim(),
            ["goalText"] = higherIsBetter ? $"≥ {F(goal, "0.0#")} {unit}" : goal == 0 ? $"0 {unit}" : $"≤ {F(goal, "0.###")} {unit}",
            ["met"] = measured is { } v && (higherIsBetter ? v >= goal : goal == 0 ? v <= 0.5 : v <= goal),
            ["verdict"] = verdict,
        };
    }

    /// <summary>The load generator's summary of the step run at the goodput rate (steps/NN-RATE/summary.json).</summary>
    private static JsonNode? StepSummary(string dir, string mode, string workload, JsonNode? result)
    {
        var rate = Num(result, "goodputRate");
        var step = (result?["steps"] as JsonArray)?.FirstOrDefault(s => Num(s, "offeredRate") == rate && s?["passed"]?.GetValue<bool>() == true);
        var index = Num(step, "index");
        var steps = Path.Combine(dir, "goodput", $"{mode}-{workload}", "steps");
        if (index is null || !Directory.Exists(steps))
        {
            return null;
        }

        var folder = Directory.GetDirectories(steps, ((int)index.Value).ToString("00", C) + "-*").FirstOrDefault();
        return folder is null ? null : Load(Path.Combine(folder, "summary.json"));
    }

    private static JsonNode? LimitSize(JsonNode raw) =>
        (raw["sizes"] as JsonArray)?.FirstOrDefault(s => Num(s, "batchRows") == Num(raw, "bestBatchRows"));

    private static JsonNode? Load(string path) => File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) : null;

    private static double? Num(JsonNode? node, string name) =>
        node is JsonObject o && o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), NumberStyles.Float, C)
            : null;

    private static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? Math.Round(x / y, 4) : null;

    private static string F(double? value, string format) => value is { } v && double.IsFinite(v) ? v.ToString(format, C) : "–";

    private static string F0(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("#,0", C) : "–";
}
