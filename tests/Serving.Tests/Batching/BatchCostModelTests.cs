using Serving.Batching;

namespace Serving.Tests.Batching;

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
}
