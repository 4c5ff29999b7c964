using Serving.LoadTest.Goodput;
using Serving.LoadTest.Reporting;

namespace Serving.Benchmarks.Tests;

/// <summary>The headline report's arithmetic: the CPU split, the median and spread, ratios within a repetition, and a run folder end to end.</summary>
public sealed class HeadlineTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "headline-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void TheSplitLeavesBatchingAsTheRestAndP1bDividesByFloorPlusRawOrtForTheRows()
    {
        var split = CpuSplit.From(serverUs: 400, transportFloorUs: 100, parseAssemblyUs: 60, onnxRuntimeUs: 150, rowsPerRequest: 160, rawOrtUsPerRow: 0.75)!;

        Assert.Equal(90, split.BatchingUs, 9); // 400 - 100 - 60 - 150
        Assert.Equal(120, split.RawOrtUsForRows, 9); // 160 rows x 0.75 µs
        Assert.Equal(400.0 / 220, split.ServerOverFloorPlusRawOrt, 9);
        Assert.Equal(split.ServerUs, split.TransportFloorUs + split.ParseAssemblyUs + split.BatchingUs + split.OnnxRuntimeUs, 9);
    }

    [Fact]
    public void TheSplitNeedsEveryMeasurement()
    {
        Assert.Null(CpuSplit.From(400, null, 60, 150, 160, 0.75));
        Assert.Null(CpuSplit.From(400, 100, 60, 150, 160, null));
    }

    [Fact]
    public void MedianOfAnOddCountIsTheMiddleAndOfAnEvenCountTheMeanOfTheTwoMiddleOnes()
    {
        var odd = Spread.Of([5, 1, 3]);
        var even = Spread.Of([4, null, 1, 3, 10]);

        Assert.Equal((3.0, 1.0, 5.0, 3), (odd.Median!.Value, odd.Min!.Value, odd.Max!.Value, odd.Count));
        Assert.Equal((3.5, 1.0, 10.0, 4), (even.Median!.Value, even.Min!.Value, even.Max!.Value, even.Count));
        Assert.Equal([4, null, 1, 3, 10], even.Values);
        Assert.Null(Spread.Of([null, double.NaN]).Median);
    }

    [Fact]
    public void RatiosAreTakenWithinARepetitionNotBetweenMedians()
    {
        // adaptive/none per repetition: 2.0, 1.0, 1.5 -> median 1.5; the ratio of the medians would be 2,000/1,000 = 2.
        MakeRepetition(1, adaptive: 2000, none: 1000);
        MakeRepetition(2, adaptive: 1000, none: 1000);
        MakeRepetition(3, adaptive: 3000, none: 2000);

        var figure = Figure(HeadlineReport.Build(_dir), "smallAdaptiveOverNone");

        Assert.Equal([2.0, 1.0, 1.5], figure.Values);
        Assert.Equal((1.5, 1.0, 2.0), (figure.Median!.Value, figure.Min!.Value, figure.Max!.Value));
        Assert.False(figure.MedianMeetsGoal); // goal >= 2.5
    }

    [Fact]
    public void ARepetitionFolderGivesTheHalfLoadSplitP1bAndP3()
    {
        MakeRepetition(1, adaptive: 2000, none: 1000);
        MakeRepetition(2, adaptive: 2000, none: 1000);

        var table = HeadlineCommand.Write(_dir);
        var result = HeadlineReport.Build(_dir);

        // Rank at half load: (1.0 s CPU - 0.1 s/s idle x 4 s) / 1,500 OK = 400 µs; the floor: (0.55 - 0.4) / 1,500 = 100 µs.
        Assert.Equal(400, Figure(result, "halfLoadServerCpuUs").Median!.Value, 6);
        Assert.Equal(100, Figure(result, "halfLoadTransportFloorUs").Median!.Value, 6);
        Assert.Equal(60, Figure(result, "halfLoadParseAssemblyUs").Median!.Value, 6);
        Assert.Equal(150, Figure(result, "halfLoadOnnxRuntimeUs").Median!.Value, 6);
        Assert.Equal(90, Figure(result, "halfLoadBatchingUs").Median!.Value, 6);
        Assert.Equal(160 * 0.75, Figure(result, "halfLoadRawOrtUsForRows").Median!.Value, 6); // batches of 64 rows: 0.75 µs per row
        Assert.Equal(Math.Round(400.0 / 220, 4), Figure(result, "p1bServerOverFloorPlusRawOrt").Median!.Value, 6);
        Assert.Equal(2.5, Figure(result, "p3P99OverP50").Median!.Value, 6);
        Assert.True(Figure(result, "p3P99OverP50").MedianMeetsGoal);
        Assert.Equal(64, Figure(result, "smallStaticBestTargetRows").Median!.Value); // 1,500 OK/s beats 256 rows' 1,200
        Assert.Contains("| P1b: server CPU ÷ (transport floor + raw ONNX Runtime for its rows) | 1.82 | 1.82–1.82 | 1.82 | 1.82 | ≤ 1.5: missed |", table, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "headline.json")));
        Assert.Equal(table, File.ReadAllText(Path.Combine(_dir, "headline.md")));
    }

    [Fact]
    public void AFolderWithoutRepetitionsIsRefused()
    {
        Directory.CreateDirectory(_dir);

        Assert.Throws<ArgumentException>(() => HeadlineCommand.Write(_dir));
    }

    private static HeadlineFigureResult Figure(HeadlineResult result, string key) =>
        Assert.Single(Assert.Single(result.Models).Figures, f => f.Key == key);

    /// <summary>rep-N/criteo-deepfm with the files scripts/headline.sh writes, the numbers chosen for round results.</summary>
    private void MakeRepetition(int index, double adaptive, double none)
    {
        var dir = Path.Combine(_dir, $"rep-{index}", "criteo-deepfm");
        ReportJson.WriteFile(Path.Combine(dir, "raw-ort.json"), new RawOrtResult
        {
            BestBatchRows = 256,
            BestRowsPerSecond = 2_000_000,
            Sizes = [new RawOrtBatchSize(1, 100, 100_000, 0.01, 0.01, 0.02), new RawOrtBatchSize(64, 100, 1e6 / 0.75, 0.05, 0.05, 0.06), new RawOrtBatchSize(256, 100, 2_000_000, 0.13, 0.13, 0.2)],
        });
        Goodput(dir, "adaptive-criteo", 800, 132_000);
        Goodput(dir, "adaptive-small", adaptive, adaptive * 10);
        Goodput(dir, "none-small", none, none * 10);
        Goodput(dir, "static-64-small", 1500, 15_000);
        Goodput(dir, "static-256-small", 1200, 12_000);
        ReportJson.WriteFile(Path.Combine(dir, "parse-assemble.json"), new ParseAssembleResult { UsPerRequest = 60 });
        var ok = new ProbeLatencyMs(1500, 2, 3, 5, 6, 7, 2.5);
        ReportJson.WriteFile(Path.Combine(dir, "probe", "half-rank.json"), new ProbeResult
        {
            OfferedRate = 400,
            DurationSeconds = 4,
            Offered = 1500,
            Ok = 1500,
            MeanCandidatesPerRequest = 160,
            ServerCpuSeconds = 1.0,
            ServerIdleCpuPerSecond = 0.1, // 1.0 - 0.4 = 0.6 s over 1,500 calls: 400 µs
            MetricsDelta = new MetricsDelta { ComputeSecondsSum = 0.225, BatchRowsSum = 64 * 100, BatchCount = 100 }, // 150 µs per call
            LatencyMsByStatus = new Dictionary<string, ProbeLatencyMs> { ["OK"] = ok },
        });
        ReportJson.WriteFile(Path.Combine(dir, "probe", "half-floor.json"), new ProbeResult
        {
            OfferedRate = 400,
            DurationSeconds = 4,
            Offered = 1500,
            Ok = 1500,
            ServerCpuSeconds = 0.55,
            ServerIdleCpuPerSecond = 0.1, // 0.15 s over 1,500 calls: 100 µs
        });
    }

    private static void Goodput(string dir, string id, double okRate, double rowsPerSecond) =>
        ReportJson.WriteFile(Path.Combine(dir, "goodput", id, "goodput.json"), new GoodputResult { GoodputRate = okRate, AchievedRate = okRate, RowsPerSecond = rowsPerSecond });
}
