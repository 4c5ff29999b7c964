using System.Globalization;
using Serving.LoadTest.Goodput;
using Serving.LoadTest.Reporting;

namespace Serving.Benchmarks;

/// <summary>
/// The output folder of one scripts/benchmark.sh run, read into the typed records its writers use
/// (the load generator's goodput and run reports, the probe's and raw-ort's results). A missing
/// file reads as null: a run may skip parts, and the report then leaves those cells empty.
/// </summary>
internal sealed class BenchmarkRunFiles(string directory)
{
    public string Directory { get; } = directory;

    public RawOrtResult? RawOrt() => Read<RawOrtResult>("raw-ort.json");

    public GoodputResult? Goodput(string id) => Read<GoodputResult>(Path.Combine("goodput", id, "goodput.json"));

    /// <summary>The load generator's summary of one step of a goodput search (goodput/ID/steps/NN-RATE/summary.json).</summary>
    public RunSummary? GoodputStep(string id, int index)
    {
        var steps = Path.Combine(Directory, "goodput", id, "steps");
        if (!System.IO.Directory.Exists(steps))
        {
            return null;
        }

        // Named NN-RATE; the folder found is read relative to the run's folder, as every file is.
        var folder = System.IO.Directory.GetDirectories(steps, index.ToString("00", CultureInfo.InvariantCulture) + "-*").FirstOrDefault();
        return folder is null ? null : Read<RunSummary>(Path.Combine("goodput", id, "steps", Path.GetFileName(folder), ReportWriter.SummaryFile));
    }

    /// <summary>The goodput searches whose folder name starts with <paramref name="prefix"/> and ends with <paramref name="suffix"/> (goodput/static-64-small, ...), by name.</summary>
    public IReadOnlyList<string> GoodputIds(string prefix, string suffix)
    {
        var folder = Path.Combine(Directory, "goodput");
        return System.IO.Directory.Exists(folder)
            ? [.. System.IO.Directory.GetDirectories(folder).Select(Path.GetFileName).OfType<string>()
                .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)]
            : [];
    }

    /// <summary>parse-assemble.json (scripts/headline.sh), if the run made one.</summary>
    public ParseAssembleResult? ParseAssemble() => Read<ParseAssembleResult>("parse-assemble.json");

    public ProbeResult? Probe(string id) => Read<ProbeResult>(Path.Combine("probe", id + ".json"));

    public ProbeResult? Overload() => Read<ProbeResult>("overload.json");

    public ProbeResult? AfterOverload() => Read<ProbeResult>("after-overload.json");

    public RunSummary? OverloadRunSummary() => Read<RunSummary>(Path.Combine("overload-run", ReportWriter.SummaryFile));

    public IReadOnlyList<TimeSeriesPoint>? OverloadRunSeries() => Read<List<TimeSeriesPoint>>(Path.Combine("overload-run", ReportWriter.TimeSeriesFile));

    /// <summary>BenchmarkDotNet's full JSON report of the hot-path benchmarks, if the run made one.</summary>
    public string? MicroReportPath()
    {
        var folder = Path.Combine(Directory, "micro", "results");
        return System.IO.Directory.Exists(folder) ? System.IO.Directory.GetFiles(folder, "*HotPathBenchmarks-report-full.json").FirstOrDefault() : null;
    }

    /// <summary>A text file the script wrote (revision.txt, loadavg-*.txt, busy-start.txt), or null.</summary>
    public string? Text(string name)
    {
        var path = Path.Combine(Directory, name);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    private T? Read<T>(string relativePath)
        where T : class
    {
        var path = Path.Combine(Directory, relativePath);
        return File.Exists(path) ? ReportJson.Deserialize<T>(File.ReadAllText(path)) : null;
    }
}
