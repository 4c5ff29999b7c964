using Serving.LoadTest.Arrivals;

namespace Serving.LoadTest.Tests;

public sealed class ArrivalGeneratorTests
{
    private static List<TimeSpan> Generate(RateSchedule schedule, double seconds, long max = long.MaxValue, int seed = 42, ArrivalProcess process = ArrivalProcess.Poisson) =>
        [.. ArrivalGenerator.IntendedSendTimes(schedule, process, TimeSpan.FromSeconds(seconds), max, seed)];

    private static int CountBetween(List<TimeSpan> times, double fromSeconds, double toSeconds) =>
        times.Count(t => t >= TimeSpan.FromSeconds(fromSeconds) && t < TimeSpan.FromSeconds(toSeconds));

    // Poisson counts: mean = variance = rate x time; 5 standard deviations is never hit by chance.
    private static void AssertPoissonCount(int actual, double expected)
    {
        var tolerance = 5 * Math.Sqrt(expected);
        Assert.InRange(actual, expected - tolerance, expected + tolerance);
    }

    [Fact]
    public void SteadyPoissonCountIsWithinStatisticalBounds()
    {
        var times = Generate(new SteadySchedule(1000), 60);
        AssertPoissonCount(times.Count, 60_000);
    }

    [Fact]
    public void SteadyPoissonGapsHaveExponentialMeanAndSpread()
    {
        var times = Generate(new SteadySchedule(500), 100);
        var gaps = times.Zip(times.Skip(1), (a, b) => (b - a).TotalSeconds).ToArray();
        var mean = gaps.Average();
        var sd = Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / gaps.Length);
        Assert.InRange(mean, 0.002 * 0.97, 0.002 * 1.03);
        // An exponential distribution's standard deviation equals its mean: not evenly spaced.
        Assert.InRange(sd / mean, 0.95, 1.05);
    }

    [Fact]
    public void SameSeedGivesTheSameTimesAndAnotherSeedDoesNot()
    {
        var schedule = new StepSchedule(100, 400, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
        var a = Generate(schedule, 6, seed: 7);
        var b = Generate(schedule, 6, seed: 7);
        var c = Generate(schedule, 6, seed: 8);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void TimesAscendAndStayInsideTheDuration()
    {
        var times = Generate(new DiurnalSchedule(50, 500, TimeSpan.FromSeconds(10)), 10);
        Assert.NotEmpty(times);
        Assert.True(times.Zip(times.Skip(1)).All(p => p.First <= p.Second));
        Assert.All(times, t => Assert.InRange(t, TimeSpan.Zero, TimeSpan.FromSeconds(10)));
        Assert.True(times[^1] < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void MaxRequestsBoundsTheRunBeforeTheDuration()
    {
        var times = Generate(new SteadySchedule(1000), 60, max: 250);
        Assert.Equal(250, times.Count);
        Assert.True(times[^1] < TimeSpan.FromSeconds(1), "250 arrivals at 1000/s end well before 60 s");
    }

    [Fact]
    public void DurationBoundsTheRunBeforeMaxRequests()
    {
        var times = Generate(new SteadySchedule(100), 2, max: 1_000_000);
        AssertPoissonCount(times.Count, 200);
    }

    [Fact]
    public void StepShapeHasBaseThenHighThenBaseCounts()
    {
        var schedule = new StepSchedule(200, 800, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20));
        var times = Generate(schedule, 60);
        AssertPoissonCount(CountBetween(times, 0, 20), 200 * 20);
        AssertPoissonCount(CountBetween(times, 20, 40), 800 * 20);
        AssertPoissonCount(CountBetween(times, 40, 60), 200 * 20);
    }

    [Fact]
    public void RampShapeClimbsLinearly()
    {
        var schedule = new RampSchedule(100, 1100, TimeSpan.Zero, TimeSpan.FromSeconds(40));
        var times = Generate(schedule, 40);
        // Integral of the line over each quarter: 10 s x (start + end) / 2.
        AssertPoissonCount(CountBetween(times, 0, 10), 10 * (100 + 350) / 2.0);
        AssertPoissonCount(CountBetween(times, 10, 20), 10 * (350 + 600) / 2.0);
        AssertPoissonCount(CountBetween(times, 20, 30), 10 * (600 + 850) / 2.0);
        AssertPoissonCount(CountBetween(times, 30, 40), 10 * (850 + 1100) / 2.0);
    }

    [Fact]
    public void SpikeShapeJumpsThenDecaysBackToBase()
    {
        var schedule = new SpikeSchedule(100, 2100, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        var times = Generate(schedule, 30);
        AssertPoissonCount(CountBetween(times, 0, 10), 100 * 10);
        // First second after the jump: rate falls from 2100 to 1900 → ~2000 arrivals.
        AssertPoissonCount(CountBetween(times, 10, 11), 2000);
        // Whole decay: triangle above base = 10 s x 2000 / 2, plus base.
        AssertPoissonCount(CountBetween(times, 10, 20), (100 * 10) + (10 * 2000 / 2.0));
        AssertPoissonCount(CountBetween(times, 20, 30), 100 * 10);
    }

    [Fact]
    public void DiurnalShapePeaksAtHalfThePeriod()
    {
        var schedule = new DiurnalSchedule(100, 900, TimeSpan.FromSeconds(40));
        var times = Generate(schedule, 40);
        var nearTrough = CountBetween(times, 0, 4) + CountBetween(times, 36, 40);
        var nearCrest = CountBetween(times, 16, 24);
        Assert.True(nearCrest > 4 * nearTrough, $"crest {nearCrest} vs trough {nearTrough}");
        // The mean of the sinusoid is the midpoint: (100 + 900) / 2 over 40 s.
        AssertPoissonCount(times.Count, 500 * 40);
    }

    [Fact]
    public void UniformArrivalsAreEvenlySpaced()
    {
        var times = Generate(new SteadySchedule(100), 1, process: ArrivalProcess.Uniform);
        Assert.Equal(100, times.Count);
        Assert.Equal(TimeSpan.Zero, times[0]);
        Assert.All(times.Zip(times.Skip(1)), p => Assert.Equal(TimeSpan.FromMilliseconds(10), p.Second - p.First));
    }

    [Fact]
    public void ZeroRateGivesNoArrivals()
    {
        Assert.Empty(Generate(new SteadySchedule(0), 10));
        Assert.Empty(Generate(new SteadySchedule(0), 10, process: ArrivalProcess.Uniform));
    }
}
