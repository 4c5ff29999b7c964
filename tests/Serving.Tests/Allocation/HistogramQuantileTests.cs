using Serving.Allocation;

namespace Serving.Tests.Allocation;

public class HistogramQuantileTests
{
    private static readonly double[] Bounds = [0.001, 0.002, 0.004, double.PositiveInfinity];

    [Fact]
    public void Interpolates_linearly_inside_the_bucket_that_holds_the_rank()
    {
        // 10 observations: 0 in (0, 1 ms], 5 in (1, 2], 5 in (2, 4]. The 0.99 rank is 9.9, in the
        // third bucket, 4.9 of its 5: 2 ms + 2 ms x 0.98.
        var p99 = HistogramQuantile.Compute(0.99, Bounds, [0, 5, 10, 10]);

        Assert.Equal(0.00396, p99!.Value, 9);
        Assert.Equal(0.002, HistogramQuantile.Compute(0.5, Bounds, [0, 5, 10, 10])!.Value, 9);
    }

    [Fact]
    public void Matches_prometheus_at_the_edges()
    {
        // Rank in the +Inf bucket: the highest finite bound.
        Assert.Equal(0.004, HistogramQuantile.Compute(0.99, Bounds, [0, 0, 1, 10]));

        // First bucket: interpolated from zero.
        Assert.Equal(0.0005, HistogramQuantile.Compute(0.5, Bounds, [10, 10, 10, 10])!.Value, 12);

        // Non-monotonic counts (scraped at slightly different times) are made monotonic first.
        Assert.Equal(HistogramQuantile.Compute(0.9, Bounds, [4, 4, 10, 10]), HistogramQuantile.Compute(0.9, Bounds, [4, 3, 10, 10]));
    }

    [Fact]
    public void Has_no_value_without_observations_or_a_final_infinite_bucket()
    {
        Assert.Null(HistogramQuantile.Compute(0.99, Bounds, [0, 0, 0, 0]));
        Assert.Null(HistogramQuantile.Compute(0.99, [0.001, 0.002], [1, 2]));
        Assert.Null(HistogramQuantile.Compute(0.99, [double.PositiveInfinity], [3]));
    }

    [Fact]
    public void Finds_the_bucket_of_a_value()
    {
        Assert.Equal(0, HistogramQuantile.BucketOf(0.0005, Bounds));
        Assert.Equal(1, HistogramQuantile.BucketOf(0.002, Bounds));
        Assert.Equal(3, HistogramQuantile.BucketOf(1, Bounds));
    }
}
