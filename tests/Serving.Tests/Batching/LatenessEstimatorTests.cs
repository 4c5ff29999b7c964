using Serving.Batching;

namespace Serving.Tests.Batching;

public class LatenessEstimatorTests
{
    [Fact]
    public void Settles_near_the_99_9th_percentile_of_what_it_observes()
    {
        // Lateness uniform over [-5, +5) ms: the 99.9th percentile is 4.99 ms, the 99th 4.9.
        var estimator = new LatenessEstimator();
        var random = new Random(7);
        for (var i = 0; i < 400_000; i++)
        {
            estimator.Observe(TimeSpan.FromMilliseconds((random.NextDouble() * 10) - 5));
        }

        Assert.InRange(estimator.Allowance.TotalMilliseconds, 4.9, 5.1); // within one step of it
    }

    [Fact]
    public void Early_finishes_keep_it_at_zero_and_a_run_of_late_ones_raises_it_within_tens_of_calls()
    {
        var estimator = new LatenessEstimator();
        for (var i = 0; i < 1000; i++)
        {
            estimator.Observe(TimeSpan.FromMilliseconds(-2));
        }

        Assert.Equal(TimeSpan.Zero, estimator.Allowance);
        for (var i = 0; i < 30; i++)
        {
            estimator.Observe(TimeSpan.FromMilliseconds(8));
        }

        Assert.InRange(estimator.Allowance.TotalMilliseconds, 2.99, 3.0); // 30 x 0.0999 ms
    }
}
