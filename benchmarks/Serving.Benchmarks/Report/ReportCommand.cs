using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Serving.LoadTest.Commands;
using Serving.LoadTest.Goodput;
using Serving.LoadTest.Reporting;
using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>
/// <c>report</c>: reads one scripts/benchmark.sh run (raw-ort.json, goodput/*/goodput.json,
/// probe/*.json, overload.json, overload-run/, micro/ BenchmarkDotNet JSON) and writes results.json
/// and table.md next to them: the goodput table with every ratio to raw ONNX Runtime, the targets
/// and by how much each is met or missed, the overload run, and where the time goes.
/// </summary>
internal static class ReportCommand
{
    /// <summary>results.json as docs and earlier runs have it: indented, non-ASCII (×, ÷, µ) kept as is.</summary>
    private static readonly JsonSerializerOptions ResultsJson = new(ReportJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var dir = new Option<string>("--dir")
        {
            Description = "The run's output folder (scripts/benchmark.sh's OUT)",
            HelpName = "dir",
            DefaultValueFactory = _ => Path.Combine(RepoPaths.Root, "artifacts", "bench"),
        };
        var command = new Command("report", "Write results.json, table.md and plots/ from a scripts/benchmark.sh run, and print the table");
        command.Options.Add(dir);
        command.SetAction((parseResult, _) => CommandErrors.GuardAsync(() =>
        {
            var table = Write(parseResult.GetValue(dir)!, TimeProvider.System, withPlots: true);
            Console.Write(table);
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>Reads the run in <paramref name="dir"/>, writes results.json, table.md (and the plots) there, and returns the table.</summary>
    public static string Write(string dir, TimeProvider time, bool withPlots)
    {
        ArgumentNullException.ThrowIfNull(time);
        var files = new BenchmarkRunFiles(dir);
        var raw = files.RawOrt();
        var searches = BenchmarkGrid.Workloads
            .SelectMany(w => BenchmarkGrid.Modes.Select(m => BenchmarkGrid.Id(m, w.Key)))
            .ToDictionary(id => id, files.Goodput, StringComparer.Ordinal);
        var results = Build(files, raw, searches, time);

        // The overload's size may be one searched for the overload alone (adaptive only, not in the tables).
        var overloadBase = BenchmarkGrid.WorkloadOf(results.Overload?.Candidates) is { } w
            ? results.Goodput.GetValueOrDefault(BenchmarkGrid.Id("adaptive", w))?.AchievedRate ?? files.Goodput(BenchmarkGrid.Id("adaptive", w))?.AchievedRate
            : null;
        var table = ReportMarkdown.Write(results, overloadBase);
        if (withPlots)
        {
            ReportPlots.WriteAll(dir, raw, searches);
        }

        File.WriteAllText(Path.Combine(dir, "results.json"), JsonSerializer.Serialize(results, ResultsJson));
        File.WriteAllText(Path.Combine(dir, "table.md"), table);
        return table;
    }

    private static BenchmarkResults Build(
        BenchmarkRunFiles files, RawOrtResult? raw, IReadOnlyDictionary<string, GoodputResult?> searches, TimeProvider time)
    {
        var rawRows = raw?.BestRowsPerSecond;
        var micro = MicroBenchmarks.Load(files);
        var goodput = GoodputRows.Build(files, searches, rawRows);
        double? Rate(string id) => goodput[id].AchievedRate;

        var adaptiveVsNoneSmall = Ratio(Rate("adaptive-small"), Rate("none-small"));
        var adaptiveVsRawCriteo = Ratio(goodput["adaptive-criteo"].RowsPerSecond, rawRows);
        var overload = files.Overload();
        var okP99 = overload?.LatencyMsByStatus.GetValueOrDefault("OK")?.P99;
        var rejectP99 = overload?.LatencyMsByStatus.GetValueOrDefault("RESOURCE_EXHAUSTED")?.P99;
        var budget = overload?.SloMs ?? 10;
        return new BenchmarkResults
        {
            GeneratedAtUtc = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
            Machine = MachineFacts.Read(files, raw),
            RawOrt = raw,
            Goodput = goodput,
            Ratios = new GoodputRatios(
                adaptiveVsRawCriteo,
                adaptiveVsNoneSmall,
                Ratio(Rate("adaptive-small"), Rate("static-small")),
                Ratio(Rate("adaptive-medium"), Rate("none-medium")),
                Ratio(Rate("adaptive-medium"), Rate("static-medium")),
                Ratio(Rate("adaptive-criteo"), Rate("none-criteo")),
                Ratio(Rate("adaptive-criteo"), Rate("static-criteo"))),
            Targets =
            [
                TargetResult.Judge("server (adaptive) ÷ raw ONNX Runtime rows/s, Criteo mix", adaptiveVsRawCriteo, 0.85, higherIsBetter: true, "×", "0.000"),
                TargetResult.Judge("adaptive ÷ none goodput, 10-candidate requests", adaptiveVsNoneSmall, 2.5, higherIsBetter: true, "×"),
                TargetResult.Judge("feature assembly: bytes allocated per extra candidate", MicroBenchmarks.Marginal(micro, "Assemble"), 0, higherIsBetter: false, "B"),
                TargetResult.Judge("overload: accepted requests' p99 within the budget", okP99, budget, higherIsBetter: false, "ms"),
                TargetResult.Judge("overload: rejections' p99 latency", rejectP99, 1, higherIsBetter: false, "ms"),
            ],
            BatchingCeiling = BatchingCeiling.Build(files, Rate("none-small")),
            Overload = overload,
            AfterOverload = files.AfterOverload(),
            OverloadStepRun = OverloadStepRun.Build(files),
            Breakdown = Breakdown.Build(files, micro, raw),
            Micro = micro,
        };
    }
}
