using HdrHistogram;

namespace Serving.LoadTest.Recording;

/// <summary>Adds histograms (per-second ones, typically) into one total: HdrHistogram counts add exactly.</summary>
internal static class HistogramMerger
{
    public static LongHistogram Merge(IEnumerable<HistogramBase> histograms)
    {
        ArgumentNullException.ThrowIfNull(histograms);
        var total = LatencyHistograms.CreateTotal();
        foreach (var histogram in histograms)
        {
            if (histogram.TotalCount > 0)
            {
                total.Add(histogram);
            }
        }

        return total;
    }
}
