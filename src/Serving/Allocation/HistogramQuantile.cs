namespace Serving.Allocation;

/// <summary>
/// A quantile from cumulative histogram buckets, computed exactly as Prometheus'
/// <c>histogram_quantile</c> does (linear interpolation inside the bucket that holds the rank), so
/// the in-process and the Prometheus latency sources agree by construction.
/// </summary>
public static class HistogramQuantile
{
    /// <summary>
    /// The <paramref name="q"/> quantile of cumulative <paramref name="counts"/> at ascending
    /// <paramref name="upperBounds"/> (the last one +Inf); null when there are no observations.
    /// </summary>
    public static double? Compute(double q, IReadOnlyList<double> upperBounds, IReadOnlyList<double> counts)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(counts.Count, upperBounds.Count, nameof(counts));
        if (upperBounds.Count < 2 || !double.IsPositiveInfinity(upperBounds[^1]))
        {
            return null;
        }

        // Counts scraped at slightly different moments can be non-monotonic: Prometheus takes the running maximum.
        var cumulative = new double[counts.Count];
        var max = 0.0;
        for (var i = 0; i < counts.Count; i++)
        {
            max = Math.Max(max, counts[i]);
            cumulative[i] = max;
        }

        var observations = cumulative[^1];
        if (!(observations > 0))
        {
            return null;
        }

        var rank = q * observations;
        var b = 0;
        while (b < cumulative.Length - 1 && cumulative[b] < rank)
        {
            b++;
        }

        if (b == cumulative.Length - 1)
        {
            return upperBounds[^2];
        }

        if (b == 0 && upperBounds[0] <= 0)
        {
            return upperBounds[0];
        }

        var start = 0.0;
        var count = cumulative[b];
        if (b > 0)
        {
            start = upperBounds[b - 1];
            count -= cumulative[b - 1];
            rank -= cumulative[b - 1];
        }

        return start + ((upperBounds[b] - start) * (rank / count));
    }

    /// <summary>Index of the bucket whose range (previous bound, bound] holds <paramref name="value"/>.</summary>
    public static int BucketOf(double value, IReadOnlyList<double> upperBounds)
    {
        for (var i = 0; i < upperBounds.Count; i++)
        {
            if (value <= upperBounds[i])
            {
                return i;
            }
        }

        return upperBounds.Count;
    }
}
