using Serving.Fleet.Pods;

namespace Serving.Fleet.Fleet;

/// <summary>
/// Whether a 1-s window met the SLO: the p99 of every request offered in it, a refused or late one
/// counting as infinitely slow, is within the SLO (so at most 1% may fail, and the answered ones'
/// p99 must be within the SLO).
/// </summary>
internal static class WindowVerdict
{
    /// <summary>p99 over all offered requests in ms; +∞ when more than 1% failed; NaN without requests.</summary>
    public static double P99AllMs(LaneCounters counters)
    {
        if (counters.Offered == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(0.99 * counters.Offered);
        if (rank > counters.LatenciesMs.Count)
        {
            return double.PositiveInfinity;
        }

        var sorted = counters.LatenciesMs.ToArray();
        Array.Sort(sorted);
        return sorted[rank - 1];
    }

    public static bool WithinSlo(LaneCounters counters, TimeSpan slo)
    {
        var p99 = P99AllMs(counters);
        return double.IsNaN(p99) || p99 <= slo.TotalMilliseconds;
    }
}
