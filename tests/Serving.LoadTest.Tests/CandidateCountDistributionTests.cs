using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Tests;

public sealed class CandidateCountDistributionTests
{
    private static int[] Draw(CandidateCountDistribution distribution, int count, int seed = 3)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => distribution.Sample(random))];
    }

    [Fact]
    public void DefaultLogNormalHasMeanNear165()
    {
        var samples = Draw(CandidateCountDistribution.Default, 200_000);
        // Standard error of the mean here is about 0.5; the bound is ten times that.
        Assert.InRange(samples.Average(), 160, 170);
    }

    [Fact]
    public void DefaultLogNormalRespectsTheCapAndTheMinimumAndReachesBoth()
    {
        var samples = Draw(CandidateCountDistribution.Default, 200_000);
        Assert.Equal(1024, samples.Max());
        Assert.Equal(1, samples.Min());
        Assert.All(samples, s => Assert.InRange(s, 1, 1024));
    }

    [Fact]
    public void DefaultLogNormalIsRightSkewed()
    {
        var samples = Draw(CandidateCountDistribution.Default, 100_000);
        var sorted = samples.Order().ToArray();
        var median = sorted[sorted.Length / 2];
        // Log-normal with sigma 1: median = mean x e^-0.5, well below the mean.
        Assert.InRange(median, 80, 120);
    }

    [Fact]
    public void SolvedLocationMakesTheClampedMeanExact()
    {
        var distribution = new LogNormalCandidateCount(165, 1.0, 1, 1024);
        Assert.Equal(165, LogNormalCandidateCount.ClampedMean(distribution.Mu, 1.0, 1, 1024), 6);
        // Without the cap the location would be ln(165) - sigma²/2; the cap pushes it up.
        Assert.True(distribution.Mu > Math.Log(165) - 0.5);
    }

    [Fact]
    public void TightCapStillHoldsItsMean()
    {
        var samples = Draw(new LogNormalCandidateCount(50, 1.5, 5, 100), 100_000);
        Assert.All(samples, s => Assert.InRange(s, 5, 100));
        Assert.InRange(samples.Average(), 49, 51);
    }

    [Fact]
    public void FixedAlwaysGivesItsCount()
    {
        Assert.All(Draw(new FixedCandidateCount(32), 1000), s => Assert.Equal(32, s));
    }

    [Theory]
    [InlineData("fixed:64", "fixed:64")]
    [InlineData("lognormal", "lognormal:165,1,1024,1")]
    [InlineData("lognormal:100", "lognormal:100,1,1024,1")]
    [InlineData("LogNormal:200,0.5,512,10", "lognormal:200,0.5,512,10")]
    public void ParseRoundTripsThroughDescribe(string spec, string expected)
    {
        var distribution = CandidateCountDistribution.Parse(spec);
        Assert.Equal(expected, distribution.Describe());
        Assert.Equal(expected, CandidateCountDistribution.Parse(distribution.Describe()).Describe());
    }

    [Theory]
    [InlineData("fixed")]
    [InlineData("fixed:0")]
    [InlineData("poisson:10")]
    [InlineData("lognormal:2000")]
    [InlineData("lognormal:abc")]
    public void ParseRefusesBadSpecs(string spec)
    {
        var ex = Record.Exception(() => CandidateCountDistribution.Parse(spec));
        Assert.True(ex is FormatException or ArgumentOutOfRangeException, ex?.GetType().Name);
    }
}
