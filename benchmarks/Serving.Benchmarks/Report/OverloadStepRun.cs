using System.Text.Json;
using Serving.LoadTest.Reporting;
using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>The load generator's overload step run (overload-run/): OK/s before, during and after the overload.</summary>
internal sealed record OverloadStepRun(
    string Schedule,
    double? OkPerSecondBefore,
    double? OkPerSecondDuring,
    double? OkPerSecondAfter,
    string OkPerSecondText,
    string StatusCounts,
    LatencySummary LatencyMs)
{
    /// <summary>The step's seconds as scripts/benchmark.sh schedules it: 5 s calm, 10 s overload, 5 s calm.</summary>
    private static readonly (int From, int To) Before = (0, 4), During = (5, 14), After = (15, 19);

    private static readonly JsonSerializerOptions CompactJson = new(ReportJson.Options) { WriteIndented = false };

    /// <summary>Null when the run left no summary or time series.</summary>
    public static OverloadStepRun? Build(BenchmarkRunFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var series = files.OverloadRunSeries();
        var summary = files.OverloadRunSummary();
        if (series is null || summary is null)
        {
            return null;
        }

        double? Mean((int From, int To) span)
        {
            var seconds = series.Where(p => p.Second >= span.From && p.Second <= span.To).ToList();
            return seconds.Count == 0 ? null : seconds.Average(p => (double)p.Succeeded);
        }

        var (before, during, after) = (Mean(Before), Mean(During), Mean(After));
        return new OverloadStepRun(
            summary.Schedule,
            before,
            during,
            after,
            $"{F0(before)} / {F0(during)} / {F0(after)}",
            JsonSerializer.Serialize(summary.StatusCounts, CompactJson),
            summary.LatencyMs);
    }
}
