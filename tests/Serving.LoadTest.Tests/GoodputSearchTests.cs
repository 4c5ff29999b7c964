using Serving.LoadTest.Goodput;
using Serving.LoadTest.Reporting;

namespace Serving.LoadTest.Tests;

public sealed class GoodputSearchTests
{
    /// <summary>A pretend server: p99 is 5 ms up to its capacity and 50 ms beyond; optional error rate.</summary>
    private static GoodputStepRunner Server(double capacity, List<double> offered, double errorRate = 0) =>
        (rate, _, _) =>
        {
            offered.Add(rate);
            var p99 = rate <= capacity ? 5.0 : 50.0;
            return Task.FromResult(new RunSummary
            {
                OfferedRate = rate,
                AchievedRate = Math.Min(rate, capacity),
                RowsPerSecond = Math.Min(rate, capacity) * 165,
                Succeeded = 100,
                ErrorRate = errorRate,
                LatencyMs = new LatencySummary(1, 2, p99, p99, p99, 1),
                SendLagMs = new LatencySummary(0.01, 0.02, rate / 1000, rate / 1000, rate / 1000, 0.01), // 1 ms per 1,000/s offered
            });
        };

    private static GoodputOptions Options(double start = 50, double max = 100_000, double precision = 0.05, int maxSteps = 30) =>
        new() { StartRatePerSecond = start, MaxRatePerSecond = max, Precision = precision, MaxSteps = maxSteps };

    [Fact]
    public async Task DoublesThenBisectsToWithinThePrecision()
    {
        var offered = new List<double>();
        var result = await new GoodputSearch(Options(), sloMs: 10).RunAsync(Server(1234, offered), CancellationToken.None);

        Assert.Equal([50, 100, 200, 400, 800, 1600], offered.Take(6));
        Assert.NotNull(result.GoodputRate);
        Assert.InRange(result.GoodputRate.Value, 1234 / 1.05, 1234);
        Assert.NotNull(result.FirstFailingRate);
        Assert.True((result.FirstFailingRate.Value - result.GoodputRate.Value) / result.GoodputRate.Value <= 0.05);
        Assert.Equal(5, result.P99Ms);
        Assert.Equal(result.GoodputRate * 165, result.RowsPerSecond);
        Assert.All(result.Steps.Skip(6), s => Assert.Equal("bisect", s.Phase));
        Assert.False(result.HitMaxRate);
    }

    [Fact]
    public async Task EveryStepAndTheVerdictSayHowMuchOfTheTailIsTheGeneratorsSendLag()
    {
        var offered = new List<double>();
        var result = await new GoodputSearch(Options(start: 400, max: 800), sloMs: 10).RunAsync(Server(1e9, offered), CancellationToken.None);
        using var printed = new StringWriter();
        MaxGoodputRunner.Print(printed, result with { SloMs = 10 });

        Assert.Equal([0.4, 0.8], result.Steps.Select(s => s.SendLagP99Ms));
        Assert.Equal(800, result.GoodputRate);
        Assert.Equal(0.8, result.SendLagP99Ms);
        Assert.Contains("of which up to 0.8 ms is the generator's send lag", printed.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(40, 0, 5)] // off: every step lasts the step duration
    [InlineData(40, 1000, 25)] // 1,000 requests at 40/s
    [InlineData(30, 700, 24)] // 23.3 s, rounded up to whole seconds
    [InlineData(500, 1000, 5)] // the step already offers 2,500
    [InlineData(2, 1000, 30)] // 500 s capped at the longest step
    public void StepsAtLowRatesLastLongEnoughToOfferTheMinimumRequests(double rate, int minRequests, double seconds)
    {
        var options = new GoodputOptions { StepDuration = TimeSpan.FromSeconds(5), MinRequestsPerStep = minRequests };

        Assert.Equal(TimeSpan.FromSeconds(seconds), options.StepDurationAt(rate));
    }

    [Fact]
    public async Task HalvesWhenTheStartRateAlreadyFails()
    {
        var offered = new List<double>();
        var result = await new GoodputSearch(Options(start: 1000), sloMs: 10).RunAsync(Server(300, offered), CancellationToken.None);

        Assert.Equal([1000, 500, 250], offered.Take(3));
        Assert.Equal("descend", result.Steps[1].Phase);
        Assert.InRange(result.GoodputRate!.Value, 300 / 1.05, 300);
    }

    [Fact]
    public async Task StopsAtTheMaxRateAndSaysSo()
    {
        var offered = new List<double>();
        var result = await new GoodputSearch(Options(start: 100, max: 500), sloMs: 10).RunAsync(Server(1e9, offered), CancellationToken.None);

        Assert.Equal([100, 200, 400, 500], offered);
        Assert.Equal(500, result.GoodputRate);
        Assert.True(result.HitMaxRate);
        Assert.Null(result.FirstFailingRate);
    }

    [Fact]
    public async Task ErrorsAtOrAboveTheLimitFailAStepEvenWithLowLatency()
    {
        var offered = new List<double>();
        var result = await new GoodputSearch(Options(start: 8, max: 100) with { MinRatePerSecond = 1 }, sloMs: 10)
            .RunAsync(Server(1e9, offered, errorRate: 0.001), CancellationToken.None);

        Assert.Null(result.GoodputRate);
        Assert.All(result.Steps, s => Assert.False(s.Passed));
        Assert.Equal([8, 4, 2, 1], offered);
    }

    [Fact]
    public async Task NeverRunsMoreThanMaxSteps()
    {
        var offered = new List<double>();
        var result = await new GoodputSearch(Options(precision: 1e-9, maxSteps: 9), sloMs: 10).RunAsync(Server(1234, offered), CancellationToken.None);
        Assert.Equal(9, result.Steps.Count);
        Assert.Equal(9, offered.Count);
    }

    [Fact]
    public void PassRequiresP99WithinSloAndErrorsBelowTheLimit()
    {
        var ok = new RunSummary { Succeeded = 1, ErrorRate = 0.0009, LatencyMs = new LatencySummary(1, 1, 10, 10, 10, 1) };
        Assert.True(GoodputSearch.Passes(ok, 10, 0.001));
        Assert.False(GoodputSearch.Passes(ok with { ErrorRate = 0.001 }, 10, 0.001));
        Assert.False(GoodputSearch.Passes(ok, 9.99, 0.001));
        Assert.False(GoodputSearch.Passes(ok with { Succeeded = 0 }, 10, 0.001));
        Assert.False(GoodputSearch.Passes(ok with { Cancelled = true }, 10, 0.001));
    }
}
