using Serving.LoadTest.Commands;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Reporting;

namespace Serving.LoadTest.Tests;

/// <summary>Pass/fail thresholds on <c>run</c>: a missed one is printed and ends the run with exit code 99, as in k6.</summary>
public sealed class ThresholdTests
{
    private static RunSummary Summary(double p99, long completed, double errorRate, bool cancelled = false) => new()
    {
        Completed = completed,
        ErrorRate = errorRate,
        Cancelled = cancelled,
        LatencyMs = new LatencySummary(1, 2, p99, p99, p99, 1),
    };

    [Fact]
    public void ARunWithinItsThresholdsExits0AndSaysWhichWereMet()
    {
        using var output = new StringWriter();

        var code = RunCommand.ExitCode(Summary(p99: 8, completed: 1000, errorRate: 0.0005), new RunThresholds(10, 0.001), output);

        Assert.Equal(0, code);
        Assert.Contains("threshold p99 <= 10 ms: met", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("threshold error rate <= 0.1%: met", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(12.5, 0.0005, "threshold p99 <= 10 ms: FAILED (p99 12.5)")]
    [InlineData(8, 0.002, "threshold error rate <= 0.1%: FAILED (0.2% of 1000 calls)")]
    public void AMissedThresholdExits99AndNamesIt(double p99, double errorRate, string line)
    {
        using var output = new StringWriter();

        var code = RunCommand.ExitCode(Summary(p99, completed: 1000, errorRate), new RunThresholds(10, 0.001), output);

        Assert.Equal(RunThresholds.FailedExitCode, code);
        Assert.Contains(line, output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ARunThatAnsweredNothingFailsBothThresholds()
    {
        var summary = new RunSummary { Completed = 0, LatencyMs = new LatencySummary(null, null, null, null, null, null) };

        var judged = new RunThresholds(10, 0.001).Judge(summary);

        Assert.Equal(2, judged.Count);
        Assert.All(judged, j => Assert.False(j.Met));
    }

    [Fact]
    public void WithoutThresholdsNothingIsJudgedAndACancelledRunStillExits130()
    {
        using var output = new StringWriter();

        Assert.Equal(0, RunCommand.ExitCode(Summary(p99: 500, completed: 10, errorRate: 0.5), RunThresholds.None, output));
        Assert.Equal(CommandErrors.Cancelled, RunCommand.ExitCode(Summary(p99: 1, completed: 10, errorRate: 0, cancelled: true), new RunThresholds(10, null), output));
        Assert.Empty(RunThresholds.None.Judge(Summary(1, 1, 0)));
    }

    [Fact]
    public void ThresholdsAreReadFromTheCommandLineAndNonsenseIsRefused()
    {
        Assert.Equal(new RunThresholds(10, 0.001), RunCommand.BindThresholds(["--max-p99-ms", "10", "--max-error-rate", "0.001"]));
        Assert.Equal(RunThresholds.None, RunCommand.BindThresholds([]));
        Assert.Throws<ArgumentException>(() => RunCommand.BindThresholds(["--max-p99-ms", "0"]));
        Assert.Throws<ArgumentException>(() => RunCommand.BindThresholds(["--max-error-rate", "1.5"]));
    }

    [Fact]
    public void TheLatencySummaryHasAP95BetweenP90AndP99()
    {
        var histogram = LatencyHistograms.CreateTotal();
        for (var ms = 1; ms <= 100; ms++)
        {
            LatencyHistograms.Record(histogram, TimeSpan.FromMilliseconds(ms));
        }

        var summary = SummaryBuilder.Summarise(histogram);

        Assert.InRange(summary.P95!.Value, 94.5, 95.5);
        Assert.True(summary.P90 < summary.P95 && summary.P95 < summary.P99);
    }
}

/// <summary>The whole run's latency as an HdrHistogram <c>.hgrm</c> percentile distribution, in milliseconds.</summary>
public sealed class LatencyDistributionFileTests
{
    [Fact]
    public void TheHgrmFileListsPercentilesInMillisecondsWithItsSummaryLines()
    {
        var histogram = LatencyHistograms.CreateTotal();
        for (var ms = 1; ms <= 100; ms++)
        {
            LatencyHistograms.Record(histogram, TimeSpan.FromMilliseconds(ms));
        }

        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, ReportWriter.LatencyDistributionFile);
        ReportWriter.WriteDistribution(path, histogram);

        var lines = File.ReadAllLines(path);
        Assert.Contains(lines, l => l.Contains("Value", StringComparison.Ordinal) && l.Contains("Percentile", StringComparison.Ordinal) && l.Contains("TotalCount", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#[Mean", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#[Max", StringComparison.Ordinal) && l.Contains("100.", StringComparison.Ordinal));
        var median = lines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(f => f.Length == 4 && double.TryParse(f[1], System.Globalization.CultureInfo.InvariantCulture, out var p) && p >= 0.5);
        Assert.InRange(double.Parse(median[0], System.Globalization.CultureInfo.InvariantCulture), 49.5, 50.5);
    }
}
