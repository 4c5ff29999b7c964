using System.Globalization;

namespace Serving.LoadTest.Requests;

/// <summary>How many candidates (rows) each request carries.</summary>
public abstract class CandidateCountDistribution
{
    private protected CandidateCountDistribution()
    {
    }

    /// <summary>Production-like default: log-normal, mean 165 after the cap, sigma 1.0, between 1 and 1,024.</summary>
    public static CandidateCountDistribution Default { get; } = new LogNormalCandidateCount(165, 1.0, 1, 1024);

    /// <summary>Draws one candidate count.</summary>
    public abstract int Sample(Random random);

    /// <summary>The spec string that recreates this distribution (see <see cref="Parse"/>).</summary>
    public abstract string Describe();

    public override string ToString() => Describe();

    /// <summary>
    /// Parses <c>fixed:N</c>, <c>lognormal</c> (the default) or <c>lognormal:MEAN[,SIGMA[,MAX[,MIN]]]</c>.
    /// </summary>
    public static CandidateCountDistribution Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var trimmed = spec.Trim();
        var colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        var kind = (colon < 0 ? trimmed : trimmed[..colon]).ToUpperInvariant();
        var args = colon < 0
            ? []
            : trimmed[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        switch (kind)
        {
            case "FIXED" when args.Length == 1:
                return new FixedCandidateCount(ParseInt(args[0], spec));
            case "LOGNORMAL" when args.Length <= 4:
                var mean = args.Length > 0 ? ParseDouble(args[0], spec) : 165;
                var sigma = args.Length > 1 ? ParseDouble(args[1], spec) : 1.0;
                var max = args.Length > 2 ? ParseInt(args[2], spec) : 1024;
                var min = args.Length > 3 ? ParseInt(args[3], spec) : 1;
                return new LogNormalCandidateCount(mean, sigma, min, max);
            default:
                throw new FormatException(
                    $"'{spec}' is not a candidate distribution; use fixed:N or lognormal[:MEAN[,SIGMA[,MAX[,MIN]]]].");
        }
    }

    private static int ParseInt(string text, string spec) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{text}' in '{spec}' is not an integer.");

    private static double ParseDouble(string text, string spec) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"'{text}' in '{spec}' is not a number.");
}

/// <summary>Every request carries the same number of candidates.</summary>
public sealed class FixedCandidateCount : CandidateCountDistribution
{
    public FixedCandidateCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
    }

    public int Count { get; }

    public override int Sample(Random random) => Count;

    public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"fixed:{Count}");
}

/// <summary>
/// Log-normal candidate counts, rounded and clamped to [min, max]. The location parameter is solved so
/// that the mean <em>after</em> clamping equals the requested mean: the cap trims the tail, and the
/// realised mean is what drives rows per second.
/// </summary>
public sealed class LogNormalCandidateCount : CandidateCountDistribution
{
    public LogNormalCandidateCount(double mean, double sigma, int min, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(min, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        if (!(sigma > 0) || double.IsInfinity(sigma))
        {
            throw new ArgumentOutOfRangeException(nameof(sigma), sigma, "Sigma must be a positive number.");
        }

        if (!(mean > min && mean < max))
        {
            throw new ArgumentOutOfRangeException(nameof(mean), mean, $"The mean must lie strictly between min ({min}) and max ({max}).");
        }

        Mean = mean;
        Sigma = sigma;
        Min = min;
        Max = max;
        Mu = SolveMu(mean, sigma, min, max);
    }

    /// <summary>Mean candidate count after clamping.</summary>
    public double Mean { get; }

    /// <summary>Standard deviation of ln(count) before clamping.</summary>
    public double Sigma { get; }

    public int Min { get; }

    public int Max { get; }

    /// <summary>Location of ln(count), solved from <see cref="Mean"/>.</summary>
    public double Mu { get; }

    public override int Sample(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
#pragma warning disable CA5394 // Workload shape, not security.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
#pragma warning restore CA5394
        var z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        var x = Math.Exp(Mu + (Sigma * z));
        return (int)Math.Round(Math.Clamp(x, Min, Max));
    }

    public override string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"lognormal:{Mean:0.###},{Sigma:0.###},{Max},{Min}");

    /// <summary>E[clamp(X, min, max)] for X log-normal(mu, sigma), in closed form.</summary>
    internal static double ClampedMean(double mu, double sigma, double min, double max)
    {
        var lnMin = Math.Log(min);
        var lnMax = Math.Log(max);
        var belowMin = NormalCdf((lnMin - mu) / sigma);
        var aboveMax = 1 - NormalCdf((lnMax - mu) / sigma);
        var partial = Math.Exp(mu + (sigma * sigma / 2))
            * (NormalCdf((lnMax - mu - (sigma * sigma)) / sigma) - NormalCdf((lnMin - mu - (sigma * sigma)) / sigma));
        return (min * belowMin) + partial + (max * aboveMax);
    }

    private static double SolveMu(double mean, double sigma, int min, int max)
    {
        // The clamped mean rises monotonically with mu from min to max: bisection always converges.
        var lo = Math.Log(min) - (12 * sigma);
        var hi = Math.Log(max) + (12 * sigma);
        for (var i = 0; i < 200; i++)
        {
            var mid = (lo + hi) / 2;
            if (ClampedMean(mid, sigma, min, max) < mean)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return (lo + hi) / 2;
    }

    private static double NormalCdf(double x) => 0.5 * Erfc(-x / Math.Sqrt(2));

    // Numerical Recipes erfc (Chebyshev fit), relative error below 1.2e-7 everywhere.
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1.0 / (1.0 + (0.5 * z));
        double[] c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
        var poly = 0.0;
        for (var i = c.Length - 1; i >= 0; i--)
        {
            poly = c[i] + (t * poly);
        }

        var r = t * Math.Exp((-z * z) + poly);
        return x >= 0 ? r : 2.0 - r;
    }
}
