using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;

namespace Serving.Tests.Execution;

/// <summary>
/// Two stand-in device pools of clearly different speeds behind the router and the batcher: each
/// pool's cost model must learn its own device, whichever path (fallback or not) a batch took.
/// </summary>
public sealed class DeviceCostLearningTests
{
    private static readonly TimeSpan CpuPerRow = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan GpuFixed = TimeSpan.FromMilliseconds(0.1);
    private static readonly TimeSpan GpuPerRow = TimeSpan.FromMilliseconds(0.01);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();
    private readonly GpuPoolOptions _options = new()
    {
        StandIn = true,
        Resilience = new GpuResilienceOptions { BatchTimeout = TimeSpan.FromHours(1), FailureRatio = 1, MinimumThroughput = 1000 },
    };

    [Fact]
    public async Task The_router_learns_the_cost_of_each_pool_from_the_batches_that_ran_there()
    {
        var cpu = new DevicePool("cpu", [new TimedReplica(_time, TimeSpan.Zero, CpuPerRow)], new BatchCostModel(), _time, NullLogger.Instance);
        var gpu = new DevicePool("gpu", [new TimedReplica(_time, GpuFixed, GpuPerRow)], new BatchCostModel(), _time, NullLogger.Instance);
        _options.Chaos.FaultRate = 1; // the chaos strategy is built in only when configured; its rate is read live
        var router = new DeviceRouter(cpu, gpu, _options, _time);

        // As the server composes a version with a GPU pool.
        var options = new BatchingOptions { Mode = BatchingMode.None, MaxBatchRows = 256, DeadlineSafetyMargin = TimeSpan.Zero };
        await using var scheduler = new BatchScheduler(router, options, _time);

        // Half the batches fail on the GPU and run on CPU (the fallback), half run on the GPU.
        await ScoreBatchesAsync(scheduler);
        _options.Chaos.FaultRate = 0;
        await ScoreBatchesAsync(scheduler);

        var now = _time.GetUtcNow();

        // 100 rows cost ~1.1 ms on the GPU: a free GPU meets a 10 ms deadline, the CPU (100 ms) would not.
        Assert.Equal("gpu", router.Choose(100, now.AddMilliseconds(10)).Device.Device);

        // One row costs ~1 ms on CPU and ~0.11 ms on the GPU: not a small batch for the CPU.
        Assert.Equal("gpu", router.Choose(1, now.AddSeconds(1)).Device.Device);

        // Each pool learned its own line, and the batcher asks the executor, which answers for the GPU.
        AssertNear(TimeSpan.FromMilliseconds(100), cpu.PredictCompute(100));
        AssertNear(TimeSpan.FromMilliseconds(1.1), gpu.PredictCompute(100));
        AssertNear(TimeSpan.FromMilliseconds(1.1), router.PredictCompute(100));

        // Capacity counts each pool at its own speed: 1 CPU replica (1,000 rows/s) + 1 GPU replica (~90,900 rows/s at 100 rows).
        Assert.InRange(router.RowsPerSecond(100), 0.95 * 91_909, 1.05 * 91_909);
    }

    private static void AssertNear(TimeSpan expected, TimeSpan actual) =>
        Assert.InRange(actual.TotalMilliseconds, 0.95 * expected.TotalMilliseconds, 1.05 * expected.TotalMilliseconds);

    private async Task ScoreBatchesAsync(BatchScheduler scheduler)
    {
        for (var i = 0; i < 20; i++)
        {
            using var rows = FeatureRows.Rent(_spec.Inputs, i % 2 == 0 ? 50 : 100);
            await scheduler.ScoreAsync(rows, _time.GetUtcNow().AddHours(1), Priority.Normal, CancellationToken.None);
        }
    }

    /// <summary>A replica whose batch takes a fixed cost plus a cost per row on the injected clock.</summary>
    private sealed class TimedReplica(FakeTimeProvider time, TimeSpan fixedCost, TimeSpan perRow) : IReplica
    {
        public int MaxBatchRows => 256;

        public void Execute(IReadOnlyList<RowSlice> slices, Func<bool>? mayScatter = null)
        {
            var rows = 0;
            foreach (var slice in slices)
            {
                rows += slice.RowCount;
            }

            time.Advance(fixedCost + (perRow * rows));
            if (mayScatter?.Invoke() != false)
            {
                foreach (var slice in slices)
                {
                    slice.Scores.Span.Fill(0.5f);
                }
            }
        }

        public void Terminate()
        {
        }

        public void Dispose()
        {
        }
    }
}
