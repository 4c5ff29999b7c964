namespace Serving.Fleet.Traces;

/// <summary>
/// Candidates per request: log-normal with the given mean and log standard deviation, rounded and
/// clamped to [<paramref name="min"/>, <paramref name="max"/>]; the load generator's default
/// (<c>lognormal:165,1.0,1024,1</c>, docs/loadtest.md).
/// </summary>
internal sealed class CandidateDistribution(double mean, double sigma, int max, int min = 1)
{
    public static CandidateDistribution LoadGeneratorDefault { get; } = new(165, 1.0, 1024);

    public double Mean => mean;

    public int Next(Random random)
    {
        var mu = Math.Log(mean) - (sigma * sigma / 2);
        var value = Math.Exp(mu + (sigma * Gaussian.Next(random)));
        return Math.Clamp((int)Math.Round(value), min, max);
    }
}
