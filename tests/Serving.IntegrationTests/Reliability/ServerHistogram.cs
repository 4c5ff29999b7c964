using System.Globalization;
using System.Text.RegularExpressions;

namespace Serving.IntegrationTests.Reliability;

/// <summary>Reads one model's latency histogram from the server's /metrics, and quantiles of the difference of two reads.</summary>
internal sealed partial record ServerHistogram(IReadOnlyList<(double UpperSeconds, double Cumulative)> Buckets)
{
    /// <summary>The model's histogram, summed over its versions.</summary>
    public static ServerHistogram Read(string metricsText, string model)
    {
        var buckets = new SortedDictionary<double, double>();
        foreach (Match m in BucketLine().Matches(metricsText))
        {
            if (m.Groups["model"].Value == model)
            {
                var le = m.Groups["le"].Value;
                var upper = le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture);
                buckets[upper] = buckets.GetValueOrDefault(upper) + double.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture);
            }
        }

        return new ServerHistogram(buckets.Select(b => (b.Key, b.Value)).ToList());
    }

    /// <summary>The upper bound of the bucket holding quantile <paramref name="q"/> of what was recorded between <paramref name="before"/> and this read.</summary>
    public double QuantileUpperBound(ServerHistogram before, double q)
    {
        var total = Buckets[^1].Cumulative - before.Buckets[^1].Cumulative;
        for (var i = 0; i < Buckets.Count; i++)
        {
            if (Buckets[i].Cumulative - before.Buckets[i].Cumulative >= q * total)
            {
                return Buckets[i].UpperSeconds;
            }
        }

        return double.PositiveInfinity;
    }

    /// <summary>Quantile <paramref name="q"/> of what was recorded since <paramref name="before"/>, interpolated linearly inside its bucket (for reports).</summary>
    public double Quantile(ServerHistogram before, double q)
    {
        var total = Buckets[^1].Cumulative - before.Buckets[^1].Cumulative;
        var lower = 0.0;
        var below = 0.0;
        for (var i = 0; i < Buckets.Count; i++)
        {
            var count = Buckets[i].Cumulative - before.Buckets[i].Cumulative;
            if (count >= q * total)
            {
                var upper = double.IsInfinity(Buckets[i].UpperSeconds) ? lower : Buckets[i].UpperSeconds;
                return count == below ? upper : lower + ((upper - lower) * ((q * total) - below) / (count - below));
            }

            lower = Buckets[i].UpperSeconds;
            below = count;
        }

        return double.PositiveInfinity;
    }

    public double CountSince(ServerHistogram before) => Buckets[^1].Cumulative - before.Buckets[^1].Cumulative;

    [GeneratedRegex("""serving_request_duration_seconds_bucket\{model="(?<model>[^"]+)",version="[^"]*",le="(?<le>[^"]+)"\} (?<count>[0-9.e+]+)""")]
    private static partial Regex BucketLine();
}
