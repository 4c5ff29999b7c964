namespace Serving.Benchmarks;

/// <summary>One figure over the repetitions: the median, the spread (min–max) and every value in repetition order (null where a repetition had none).</summary>
internal sealed record Spread(double? Median, double? Min, double? Max, int Count, IReadOnlyList<double?> Values)
{
    /// <summary>The spread of the known, finite values; the median of an even count is the mean of the middle two.</summary>
    public static Spread Of(IReadOnlyList<double?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var known = values.Where(v => v is { } x && double.IsFinite(x)).Select(v => v!.Value).Order().ToArray();
        if (known.Length == 0)
        {
            return new Spread(null, null, null, 0, values);
        }

        var middle = known.Length / 2;
        var median = known.Length % 2 == 1 ? known[middle] : (known[middle - 1] + known[middle]) / 2;
        return new Spread(median, known[0], known[^1], known.Length, values);
    }
}
