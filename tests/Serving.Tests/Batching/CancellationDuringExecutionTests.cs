using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;
using Serving.Tests.Execution;

namespace Serving.Tests.Batching;

/// <summary>
/// Callers that give up while their batch is executing on a real device pool (a session the test
/// holds): they are answered at once, the other requests of the batch still get their own scores,
/// and every row goes back to the pool once the session stops reading it.
/// </summary>
public sealed class CancellationDuringExecutionTests
{
    private static readonly DevicePoolLimits NoRunTimeout = new(RunTimeout: TimeSpan.FromHours(1), StopTimeout: TimeSpan.FromSeconds(5));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public async Task Callers_cancelled_or_out_of_time_mid_batch_are_answered_at_once_the_rest_of_the_batch_gets_its_scores_and_every_row_goes_back()
    {
        // The session scores a row with the value the test wrote into it, so misplaced scores show.
        var replica = new ScriptedReplica { ScoreOf = static (rows, row) => rows.Float32(0)[row * 2] };
        var pool = new DevicePool("cpu", [replica], new BatchCostModel(), _time, NullLogger.Instance, limits: NoRunTimeout);
        var observer = new RecordingObserver();
        var options = new BatchingOptions
        {
            // Four 4-row requests fill the 16-row target: one batch leaves with all four at once.
            Mode = BatchingMode.Static,
            TargetBatchRows = 16,
            MaxBatchRows = 256,
            MaxQueueDelay = TimeSpan.FromMilliseconds(10),
            DeadlineSafetyMargin = TimeSpan.Zero,
        };
        await using var scheduler = new BatchScheduler(pool, options, _time, observer);
        var cancelledRows = Rows(4, first: 100);
        var bRows = Rows(4, first: 200);
        var cRows = Rows(4, first: 300);
        var lateRows = Rows(4, first: 400);
        using var cancel = new CancellationTokenSource();
        replica.Hang();
        Task<ScoreResult> cancelled, b, c, late;
        try
        {
            cancelled = scheduler.ScoreAsync(cancelledRows, _time.GetUtcNow().AddHours(1), Priority.Normal, cancel.Token);
            b = scheduler.ScoreAsync(bRows, _time.GetUtcNow().AddHours(1), Priority.Normal, CancellationToken.None);
            c = scheduler.ScoreAsync(cRows, _time.GetUtcNow().AddHours(1), Priority.Normal, CancellationToken.None);
            late = scheduler.ScoreAsync(lateRows, _time.GetUtcNow().AddMilliseconds(50), Priority.Normal, CancellationToken.None);
            Assert.True(replica.WaitStarted(), "the batch of all four is executing");
            Assert.Equal(0, scheduler.QueuedRows);

            // One caller cancels (the client went away: its call's token), another one's deadline passes.
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(30)));
            _time.Advance(TimeSpan.FromMilliseconds(50));
            await Assert.ThrowsAsync<DeadlineExceededException>(() => late.WaitAsync(TimeSpan.FromSeconds(30)));

            // Answered, but the session still reads their rows: they stay out of the pool; the others wait for their scores.
            Assert.False(cancelledRows.Returned, "the running session still reads the cancelled caller's rows");
            Assert.False(lateRows.Returned, "the running session still reads the late caller's rows");
            Assert.False(b.IsCompleted);
            Assert.False(c.IsCompleted);
        }
        finally
        {
            replica.Release(); // also lets the pool stop if an assertion failed
        }

        var rb = await b.WaitAsync(TimeSpan.FromSeconds(30));
        var rc = await c.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([200f, 201f, 202f, 203f], rb.Scores);
        Assert.Equal([300f, 301f, 302f, 303f], rc.Scores);
        Assert.Equal(16, rb.BatchRows); // they ran in the batch the others were cut from
        Assert.Equal(1, replica.Runs);
        Assert.True(SpinWait.SpinUntil(() => cancelledRows.Returned && lateRows.Returned && bRows.Returned && cRows.Returned, TimeSpan.FromSeconds(30)), "every request's rows go back once the run ends");
        Assert.True(SpinWait.SpinUntil(() => pool.FreeReplicas == pool.Replicas, TimeSpan.FromSeconds(30)), "the replica is free again");
        Assert.Equal(0, pool.QueuedBatches);
        Assert.Equal(0, scheduler.QueuedRows);
        Assert.Equal(0, observer.LastQueuedRows); // serving_queued_rows
        Assert.Equal(1, observer.DeadlinesExceeded);

        // The pool and the batcher carry on: the next request is scored (a static batch short of
        // its target leaves at the max delay, on the injected clock).
        var next = scheduler.ScoreAsync(Rows(3, first: 500), _time.GetUtcNow().AddHours(1), Priority.Normal, CancellationToken.None);
        _time.Advance(options.MaxQueueDelay);
        var nextResult = await next.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([500f, 501f, 502f], nextResult.Scores);
    }

    /// <summary>Rows whose first dense value encodes the expected score.</summary>
    private FeatureRows Rows(int count, int first)
    {
        var rows = FeatureRows.Rent(_spec.Inputs, count);
        for (var r = 0; r < count; r++)
        {
            rows.Float32(0)[r * 2] = first + r;
        }

        return rows;
    }

    private sealed class RecordingObserver : IBatchObserver
    {
        private int _lastQueuedRows = -1;
        private int _deadlines;

        public int LastQueuedRows => Volatile.Read(ref _lastQueuedRows);

        public int DeadlinesExceeded => Volatile.Read(ref _deadlines);

        public void Rejected(string reason)
        {
        }

        public void DeadlineExceeded() => Interlocked.Increment(ref _deadlines);

        public void QueuedRows(int rows) => Volatile.Write(ref _lastQueuedRows, rows);

        public void SliceQueued(string device, TimeSpan queued)
        {
        }
    }
}
