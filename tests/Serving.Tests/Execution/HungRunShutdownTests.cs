using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;

namespace Serving.Tests.Execution;

/// <summary>
/// A model version stopped (shutdown, or a retired version) while one of its sessions hangs: the
/// batcher and its pool end within the grace period, and every caller is answered. The pool-level
/// pieces (the watchdog, the stop timeouts, a run that ignores the terminate flag) are in
/// <see cref="DevicePoolFaultTests"/>; this is the whole version as the server stops it.
/// </summary>
public sealed class HungRunShutdownTests
{
    private static readonly DevicePoolLimits Limits = new(RunTimeout: TimeSpan.FromHours(1), StopTimeout: TimeSpan.FromSeconds(5));
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public async Task Stopping_with_a_hung_run_refuses_the_queued_callers_terminates_the_run_after_the_stop_timeout_answers_its_caller_and_ends_within_two_stop_timeouts()
    {
        var replica = new ScriptedReplica(); // honours the terminate flag, as ONNX Runtime does
        var pool = new DevicePool("cpu", [replica], new BatchCostModel(), _time, NullLogger.Instance, limits: Limits);
        var options = new BatchingOptions { Mode = BatchingMode.Adaptive, TargetBatchRows = 8, MaxBatchRows = 256, DeadlineSafetyMargin = TimeSpan.Zero };
        var scheduler = new BatchScheduler(pool, options, _time);
        var runningRows = FeatureRows.Rent(_spec.Inputs, 8);
        var queuedRows = FeatureRows.Rent(_spec.Inputs, 8);
        replica.Hang();
        try
        {
            // One request in the hung run, one queued behind it (the only replica is busy).
            var running = scheduler.ScoreAsync(runningRows, _time.GetUtcNow().AddHours(1), Priority.Normal, CancellationToken.None);
            Assert.True(replica.WaitStarted());
            var queued = scheduler.ScoreAsync(queuedRows, _time.GetUtcNow().AddHours(1), Priority.Normal, CancellationToken.None);
            Assert.Equal(8, scheduler.QueuedRows);

            var stopping = scheduler.DisposeAsync().AsTask();

            // The queued caller is refused at once (UNAVAILABLE draining: retry elsewhere) ...
            var refused = await Assert.ThrowsAsync<ScoringRejectedException>(() => queued.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(RejectionReasons.Draining, refused.Reason);

            // ... the running batch gets the stop timeout to finish: nothing is terminated before it ...
            var elapsed = TimeSpan.Zero;
            while (elapsed < Limits.StopTimeout - Step)
            {
                _time.Advance(Step);
                elapsed += Step;
                await Task.Yield();
                Assert.Equal(0, replica.TerminateCalls);
                Assert.False(running.IsCompleted, $"the hung batch's caller was answered {elapsed} into the stop, before the stop timeout");
            }

            // ... then the run is terminated, its caller answered, and the stop ends without more waiting.
            while (replica.TerminateCalls == 0 && elapsed < 2 * Limits.StopTimeout)
            {
                _time.Advance(Step);
                elapsed += Step;
                await Task.Yield();
            }

            Assert.Equal(1, replica.TerminateCalls);
            Assert.InRange(elapsed, Limits.StopTimeout, 2 * Limits.StopTimeout);
            var failed = await Assert.ThrowsAsync<BatchFailedException>(() => running.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("terminated", failed.Message, StringComparison.Ordinal);
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(runningRows.Returned, "the terminated run's rows went back to the pool");
            Assert.True(queuedRows.Returned, "the refused request's rows went back to the pool");
            Assert.Equal(0, pool.QueuedBatches);
        }
        finally
        {
            replica.Release(); // lets the worker end if an assertion failed
            await scheduler.DisposeAsync();
        }
    }
}
