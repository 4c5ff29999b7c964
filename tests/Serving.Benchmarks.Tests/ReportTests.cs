using Microsoft.Extensions.Time.Testing;

namespace Serving.Benchmarks.Tests;

/// <summary>
/// The report over a saved short run (ReportFixture/run: real outputs of the probe, raw-ort, the
/// load generator and BenchmarkDotNet, pruned to what the report reads) writes what the report at
/// a0f55cc wrote from the same files (ReportFixture/expected), apart from this machine's facts.
/// </summary>
public sealed class ReportTests : IDisposable
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "ReportFixture");

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "bench-report-" + Guid.NewGuid().ToString("N"));

    public ReportTests()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Fixture, "run"), "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(_dir, Path.GetRelativePath(Path.Combine(Fixture, "run"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void TheTableIsTheOneTheEarlierReportWrote()
    {
        var table = ReportCommand.Write(_dir, new FakeTimeProvider(), withPlots: false);

        var expected = File.ReadAllText(Path.Combine(Fixture, "expected", "table.md"));
        Assert.Equal(table, File.ReadAllText(Path.Combine(_dir, "table.md")));
        Assert.StartsWith("Revision mini-a. Machine: ", table, StringComparison.Ordinal);
        Assert.Equal(WithoutFirstLine(expected), WithoutFirstLine(table));
    }

    [Fact]
    public void ResultsJsonIsTheOneTheEarlierReportWrote()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 11, 30, 12, 0, 0, TimeSpan.Zero));
        ReportCommand.Write(_dir, time, withPlots: false);

        var actual = File.ReadAllLines(Path.Combine(_dir, "results.json"));
        var expected = File.ReadAllLines(Path.Combine(Fixture, "expected", "results.json"));
        Assert.Contains("  \"generatedAtUtc\": \"2025-11-30T12:00:00.0000000+00:00\",", actual);
        Assert.Equal(WithoutMachine(expected), WithoutMachine(actual));
    }

    [Fact]
    public void ARelativeRunFolderFindsTheStepAtTheGoodputRate()
    {
        // scripts pass an absolute OUT, people a relative one: both must find goodput/ID/steps/NN-RATE.
        var relative = new BenchmarkRunFiles(Path.GetRelativePath(Environment.CurrentDirectory, _dir));

        Assert.Equal("steady rate=600/s", relative.GoodputStep("adaptive-small", 2)?.Schedule);
        Assert.Null(relative.GoodputStep("adaptive-small", 7));
    }

    [Fact]
    public void AnEmptyRunGivesTablesOfDashesNotAnError()
    {
        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);

        var table = ReportCommand.Write(empty, new FakeTimeProvider(), withPlots: false);

        Assert.Contains("| server, `adaptive` | Criteo mix | – | – | – | – / – | – / – |", table, StringComparison.Ordinal);
        Assert.Contains("| adaptive ÷ none goodput, 10-candidate requests | – | ≥ 2.5 × | not measured |", table, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is harmless.
        }
    }

    private static string WithoutFirstLine(string text) => text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];

    /// <summary>The lines of results.json less the time it was written and the machine block (this machine's CPU, memory, runtime).</summary>
    private static List<string> WithoutMachine(string[] lines)
    {
        var kept = new List<string>();
        var inMachine = false;
        foreach (var line in lines)
        {
            if (line.StartsWith("  \"machine\": {", StringComparison.Ordinal))
            {
                inMachine = true;
            }
            else if (inMachine)
            {
                inMachine = line != "  },";
            }
            else if (!line.StartsWith("  \"generatedAtUtc\"", StringComparison.Ordinal))
            {
                kept.Add(line);
            }
        }

        return kept;
    }
}
