using Serving.LoadTest.Arrivals;
using Serving.LoadTest.Goodput;
using Serving.LoadTest.Reporting;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Tests;

/// <summary>The whole run path (arrivals → dispatcher → recorder → reports) on fake time with a fake sender.</summary>
public sealed class RunPipelineTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private static Workload TinyWorkload(int candidates)
    {
        using var reader = new StringReader(SyntheticData.CriteoFile(20));
        var table = CriteoTsvReader.Read(reader);
        var bindings = FeatureBinder.Bind(SchemaInference.FromColumns(table.Columns), table, []);
        var factory = new RankRequestFactory(table, bindings.Bindings, new RequestTemplate("criteo-deepfm", null, 0, Contracts.Ranking.V1.Priority.Normal));
        return new Workload(RequestPool.Build(factory, new FixedCandidateCount(candidates), 4, 1, false), ModelSloMs: 10, "synthetic test rows", []);
    }

    [Fact]
    public async Task RunWritesSummaryTimeSeriesAndPlots()
    {
        using var folder = new TempFolder();
        using var time = new SignallingTimeProvider();
        using var sender = new ImmediateSender(rowsPerRequest: 8);
        var options = new LoadOptions
        {
            Schedule = new SteadySchedule(100),
            Arrivals = ArrivalProcess.Uniform,
            Duration = TimeSpan.FromSeconds(3),
            Quiet = true,
            OutputDirectory = folder.Path,
        };

        var run = LoadRunner.RunWithSenderAsync(options, TinyWorkload(8), sender, time, TextWriter.Null, CancellationToken.None);
        // Step the clock one arrival at a time: each step releases exactly one send.
        await sender.WaitForCallsAsync(1);
        for (var i = 2; i <= 300; i++)
        {
            await time.WaitForTimersAsync(i - 1);
            time.Advance(TimeSpan.FromMilliseconds(10));
            await sender.WaitForCallsAsync(i);
        }

        var report = await run.WaitAsync(HangGuard);
        var summary = report.Summary;

        Assert.Equal(300, summary.Offered);
        Assert.Equal(300, summary.Succeeded);
        Assert.Equal(100, summary.OfferedRate);
        Assert.Equal(100, summary.AchievedRate);
        Assert.Equal(800, summary.RowsPerSecond);
        Assert.Equal(0, summary.ErrorRate);
        Assert.Equal(10, summary.SloMs);
        Assert.True(summary.WithinSlo);
        Assert.Equal(3, report.TimeSeries.Count);
        Assert.All(report.TimeSeries, p => Assert.Equal(100, p.Offered));

        foreach (var file in new[] { ReportWriter.SummaryFile, ReportWriter.TimeSeriesFile, ReportWriter.LatencyPlotFile, ReportWriter.ThroughputPlotFile })
        {
            Assert.True(File.Exists(Path.Combine(folder.Path, file)), file);
        }

        var written = ReportJson.Deserialize<RunSummary>(await File.ReadAllTextAsync(Path.Combine(folder.Path, ReportWriter.SummaryFile)));
        Assert.Equal(300, written.Succeeded);
        var png = await File.ReadAllBytesAsync(Path.Combine(folder.Path, ReportWriter.LatencyPlotFile));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
    }

    [Fact]
    public async Task WarmUpFirstSendsPrimingCallsOneAtATimeThenTrafficAtTheStartingRate()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var options = new LoadOptions
        {
            Schedule = new SteadySchedule(1000),
            Arrivals = ArrivalProcess.Uniform,
            Warmup = TimeSpan.FromMilliseconds(5),
            Quiet = true,
        };

        var warmUp = RunSession.WarmUpAsync(options, sender, time, CancellationToken.None);

        // Each priming call waits for the answer to the one before: no burst while the client is cold.
        for (var call = 0; call < RunSession.PrimingCalls; call++)
        {
            await sender.WaitForCallsAsync(call + 1);
            Assert.Equal(call + 1, sender.CallCount);
            sender.Complete(call);
        }

        // Then the warm-up proper: one call per millisecond at 1,000 req/s, open loop.
        await sender.WaitForCallsAsync(RunSession.PrimingCalls + 1);
        for (var i = 2; i <= 5; i++)
        {
            await time.WaitForTimersAsync(i - 1);
            time.Advance(TimeSpan.FromMilliseconds(1));
            await sender.WaitForCallsAsync(RunSession.PrimingCalls + i);
        }

        for (var sequence = 0; sequence < 5; sequence++)
        {
            sender.Complete(sequence);
        }

        await warmUp.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task RequestCapEndsTheWindowAtTheLastArrival()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ImmediateSender(rowsPerRequest: 1);
        var options = new LoadOptions
        {
            Schedule = new SteadySchedule(100),
            Arrivals = ArrivalProcess.Uniform,
            Duration = TimeSpan.FromSeconds(30),
            MaxRequests = 51,
            Quiet = true,
        };

        var run = LoadRunner.RunWithSenderAsync(options, TinyWorkload(1), sender, time, TextWriter.Null, CancellationToken.None);
        await sender.WaitForCallsAsync(1);
        for (var i = 2; i <= 51; i++)
        {
            await time.WaitForTimersAsync(i - 1);
            time.Advance(TimeSpan.FromMilliseconds(10));
            await sender.WaitForCallsAsync(i);
        }

        var summary = (await run.WaitAsync(HangGuard)).Summary;
        Assert.Equal(51, summary.Offered);
        Assert.Equal(0.5, summary.DurationSeconds);
    }

    [Fact]
    public async Task GoodputSearchWritesItsResultAndPlot()
    {
        using var folder = new TempFolder();
        var result = new GoodputResult
        {
            SloMs = 10,
            GoodputRate = 200,
            Steps = [new GoodputStep(0, "explore", 100, 100, 800, 3, 0, true), new GoodputStep(1, "explore", 200, 200, 1600, 6, 0, true), new GoodputStep(2, "explore", 400, 300, 2400, 40, 0, false)],
        };
        var path = Path.Combine(folder.Path, MaxGoodputRunner.PlotFile);

        PlotRenderer.WriteGoodput(result.Steps, 10, result.GoodputRate, path);
        ReportJson.WriteFile(Path.Combine(folder.Path, MaxGoodputRunner.ResultFile), result);

        Assert.True(new FileInfo(path).Length > 1000);
        Assert.Equal(200, ReportJson.Deserialize<GoodputResult>(await File.ReadAllTextAsync(Path.Combine(folder.Path, MaxGoodputRunner.ResultFile))).GoodputRate);
    }
}
