using HdrHistogram;

namespace Serving.LoadTest.Recording;

/// <summary>
/// The histograms latencies go into: microseconds, 1 µs to 60 s, 3 significant digits (0.1% value
/// precision). Values outside the range are clamped rather than lost.
/// </summary>
internal static class LatencyHistograms
{
    public const long LowestMicros = 1;
    public const long HighestMicros = 60_000_000;
    public const int SignificantDigits = 3;

    /// <summary>A histogram for one second of a run (int counts: one second never overflows them).</summary>
    public static HistogramBase CreatePerSecond() => new IntHistogram(LowestMicros, HighestMicros, SignificantDigits);

    /// <summary>A histogram for a whole run.</summary>
    public static LongHistogram CreateTotal() => new(LowestMicros, HighestMicros, SignificantDigits);

    public static long ToMicros(TimeSpan latency) =>
        Math.Clamp(latency.Ticks / (TimeSpan.TicksPerMillisecond / 1000), LowestMicros, HighestMicros);

    public static void Record(HistogramBase histogram, TimeSpan latency) => histogram.RecordValue(ToMicros(latency));

    /// <summary>The value at a percentile, in milliseconds; null for an empty histogram.</summary>
    public static double? PercentileMs(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? null : histogram.GetValueAtPercentile(percentile) / 1000.0;

    public static double? MaxMs(HistogramBase histogram) =>
        histogram.TotalCount == 0 ? null : histogram.GetMaxValue() / 1000.0;

    public static double? MeanMs(HistogramBase histogram) =>
        histogram.TotalCount == 0 ? null : histogram.GetMean() / 1000.0;
}
