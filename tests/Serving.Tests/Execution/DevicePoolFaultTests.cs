using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Serving.Batching;
using Serving.Execution;
using Serving.Features;

namespace Serving.Tests.Execution;

/// <summary>What a device pool does when a session hangs, a handler throws, or a try is abandoned mid-run.</summary>
public sealed class DevicePoolFaultTests
{
    private static readonly DevicePoolLimits Limits = new(RunTimeout: TimeSpan.FromSeconds(2), StopTimeout: TimeSpan.FromSeconds(5));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public async Task A_run_past_the_run_timeout_is_terminated_its_batch_fails_and_the_replica_serves_the_next_one()
    {
        var replica = new ScriptedReplica();
        await using var pool = Pool(replica);
        using var rows = FeatureRows.Rent(_spec.Inputs, 8);
        replica.Hang();

        try
        {
            var hung = pool.ExecuteAsync(BatchOf(rows));
            Assert.True(replica.WaitStarted());
            _time.Advance(Limits.RunTimeout);

            var failure = await Assert.ThrowsAsync<BatchFailedException>(() => hung.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("was terminated", failure.Message, StringComparison.Ordinal);
            Assert.Equal(1, replica.TerminateCalls);
        }
        finally
        {
            replica.Release(); // also lets the pool stop if an assertion failed
        }

        var next = await pool.ExecuteAsync(BatchOf(rows)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(8, next.BatchRows);
    }

    [Fact]
    public async Task Stopping_terminates_runs_still_going_after_the_stop_timeout_and_gives_up_on_those_that_ignore_it()
    {
        var replica = new ScriptedReplica { StopsWhenTerminated = false };
        var pool = Pool(replica, new DevicePoolLimits(RunTimeout: TimeSpan.FromHours(1), StopTimeout: TimeSpan.FromSeconds(5)));
        using var rows = FeatureRows.Rent(_spec.Inputs, 8);
        replica.Hang();
        _ = pool.ExecuteAsync(BatchOf(rows));
        Assert.True(replica.WaitStarted());

        var stopping = pool.DisposeAsync().AsTask();
        for (var step = 0; step < 1000 && !stopping.IsCompleted; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        Assert.True(stopping.IsCompleted, "stopping ends within two stop timeouts of the injected clock");
        Assert.Equal(1, replica.TerminateCalls);
        replica.Release(); // let the worker thread end
    }

    [Fact]
    public async Task A_failing_replica_idle_handler_does_not_end_the_worker()
    {
        var replica = new ScriptedReplica();
        await using var pool = Pool(replica);
        pool.ReplicaIdle += () => throw new InvalidOperationException("a broken subscriber");
        using var rows = FeatureRows.Rent(_spec.Inputs, 8);

        await pool.ExecuteAsync(BatchOf(rows)).WaitAsync(TimeSpan.FromSeconds(30));
        var second = await pool.ExecuteAsync(BatchOf(rows)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(8, second.BatchRows);
        Assert.Equal(2, replica.Runs);
    }

    [Fact]
    public async Task An_abandoned_gpu_try_holds_the_rows_until_its_session_stops_reading_them()
    {
        var gpuReplica = new ScriptedReplica();
        var cpu = Pool(new ScriptedReplica(), device: "cpu");
        var gpu = Pool(gpuReplica, device: "gpu");
        var options = new GpuPoolOptions { Resilience = new GpuResilienceOptions { BatchTimeout = TimeSpan.FromMilliseconds(50), MinimumThroughput = 1000 } };
        await using var router = new DeviceRouter(cpu, gpu, options, _time);
        var rows = FeatureRows.Rent(_spec.Inputs, 8);
        gpuReplica.Hang();

        try
        {
            var pending = router.ExecuteAsync(BatchOf(rows));
            Assert.True(gpuReplica.WaitStarted()); // the try's timeout is armed before the try runs
            _time.Advance(TimeSpan.FromMilliseconds(60));

            var execution = await pending.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("cpu", execution.Device); // timed out on the GPU, re-run on CPU
            Assert.Equal(0, gpuReplica.TerminateCalls);
            rows.Dispose(); // the request is answered and lets its rows go ...
            Assert.False(rows.Returned, "... but the abandoned GPU run still reads them");
        }
        finally
        {
            gpuReplica.Release(); // also lets the pools stop if an assertion failed
        }

        Assert.True(SpinWait.SpinUntil(() => rows.Returned, TimeSpan.FromSeconds(30)), "returned once the GPU run ends");
    }

    private DevicePool Pool(ScriptedReplica replica, DevicePoolLimits? limits = null, string device = "cpu") =>
        new(device, [replica], new BatchCostModel(), _time, NullLogger.Instance, limits: limits ?? Limits);

    private Batch BatchOf(FeatureRows rows) =>
        new([new RowSlice(rows, 0, rows.Rows, new float[rows.Rows], _time.GetUtcNow().AddHours(1))], _time.GetUtcNow());
}
