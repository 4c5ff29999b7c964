using Serving.Execution;

namespace Serving.Tests.Execution;

public class BatchCostModelTests
{
    [Fact]
    public void Learns_fixed_and_per_row_cost_from_measured_batches()
    {
        var model = new BatchCostModel();
        foreach (var rows in new[] { 1, 16, 64, 256, 1024, 64, 256 })
        {
            model.Observe(rows, TimeSpan.FromMilliseconds(0.2 + (0.005 * rows)));
        }

        Assert.Equal(0.2 + (0.005 * 512), model.Predict(512).TotalMilliseconds, 3);
        Assert.Equal(0.2, model.Predict(0).TotalMilliseconds, 3);
    }

    [Fact]
    public void Recent_batches_outweigh_old_ones()
    {
        var model = new BatchCostModel(decay: 0.9);
        for (var i = 0; i < 50; i++)
        {
            model.Observe(10 + (i % 2 * 90), TimeSpan.FromMilliseconds(1 + (i % 2 * 9)));
        }

        for (var i = 0; i < 200; i++)
        {
            model.Observe(10 + (i % 2 * 90), TimeSpan.FromMilliseconds(2 + (i % 2 * 18)));
        }

        Assert.Equal(20, model.Predict(100).TotalMilliseconds, 1);
    }

    [Fact]
    public void Warm_up_runs_bound_the_slope_when_live_batches_fall_in_a_narrow_noisy_range()
    {
        // Warm-up: 0.1 ms + 1 µs per row, from 1 to 1,024 rows. Then steady load: batches of 40 and
        // 60 rows, the larger ones slowed by contention (0.15 and 0.6 ms). Alone, the live line has a
        // slope of 22.5 µs per row and puts 1,024 rows at ~22 ms; bounded at 4 µs per row through
        // the live mean (50 rows, 0.375 ms), 1,024 rows come to ~4.3 ms.
        var anchored = new BatchCostModel();
        var unanchored = new BatchCostModel();
        SeedWarmUp(anchored);

        for (var i = 0; i < 300; i++)
        {
            var (rows, ms) = i % 2 == 0 ? (40, 0.15) : (60, 0.6);
            anchored.Observe(rows, TimeSpan.FromMilliseconds(ms));
            unanchored.Observe(rows, TimeSpan.FromMilliseconds(ms));
        }

        Assert.True(unanchored.Predict(1024).TotalMilliseconds > 15, $"{unanchored.Predict(1024).TotalMilliseconds} ms");
        Assert.Equal(0.375 + (0.004 * 974), anchored.Predict(1024).TotalMilliseconds, 2);

        // Where the live batches are, they still decide: the mean of the two sizes is about their mean time (the weights decay).
        Assert.InRange(anchored.Predict(50).TotalMilliseconds, 0.36, 0.39);
    }

    [Fact]
    public void A_sane_live_fit_is_left_alone_by_the_warm_up_runs()
    {
        // Measured batches cost 0.3 ms + 3 µs per row (copying in and out included), three times the
        // warm-up's cost per row: within bounds, so once the warm-up runs have decayed the live
        // line stands as measured.
        var model = new BatchCostModel();
        SeedWarmUp(model);

        for (var i = 0; i < 300; i++)
        {
            var rows = new[] { 10, 100, 500, 1000, 50, 700 }[i % 6];
            model.Observe(rows, TimeSpan.FromMilliseconds(0.3 + (0.003 * rows)));
        }

        Assert.Equal(0.3 + (0.003 * 1024), model.Predict(1024).TotalMilliseconds, 1);
    }

    [Fact]
    public void A_slow_first_batch_after_the_warm_up_does_not_blow_up_the_prediction()
    {
        // The first measured batch, 10 rows, stalled for 50 ms. Divided over its rows alone that
        // would be 5 ms per row, 1.3 s for 256 rows: the prediction that once cut the batch size to
        // 8 rows and refused every other call. The warm-up runs in the fit and the bound keep it sane.
        var model = new BatchCostModel();
        SeedWarmUp(model);

        model.Observe(10, TimeSpan.FromMilliseconds(50));

        Assert.InRange(model.Predict(256).TotalMilliseconds, 0.2, 10);
    }

    [Fact]
    public void Seeded_alone_the_model_is_the_warm_up_line()
    {
        var model = new BatchCostModel();
        SeedWarmUp(model);

        Assert.Equal(0.1 + 0.512, model.Predict(512).TotalMilliseconds, 3);
    }

    /// <summary>Warm-up runs at every size class, 1 to 1,024 rows, costing 0.1 ms + 1 µs per row.</summary>
    private static void SeedWarmUp(BatchCostModel model)
    {
        foreach (var rows in new[] { 1, 4, 16, 64, 256, 1024 })
        {
            model.Seed(rows, TimeSpan.FromMilliseconds(0.1 + (0.001 * rows)));
        }
    }
}
