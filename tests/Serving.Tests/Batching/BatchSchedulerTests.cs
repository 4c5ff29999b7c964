using Microsoft.Extensions.Time.Testing;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Features;

namespace Serving.Tests.Batching;

public class BatchSchedulerTests
{
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Concurrent_small_requests_share_one_batch_and_get_their_own_scores_back()
    {
        var executor = new ManualExecutor(replicas: 1) { Busy = 1 };
        await using var scheduler = NewScheduler(executor, BatchingMode.Static, target: 8);
        using var a = Rows(3, first: 100);
        using var b = Rows(5, first: 200);

        var ta = scheduler.ScoreAsync(a, Deadline(50), Priority.Normal, CancellationToken.None);
        var tb = scheduler.ScoreAsync(b, Deadline(50), Priority.Normal, CancellationToken.None);
        executor.Busy = 0;
        executor.RaiseIdle();
        var batch = await executor.NextBatch();
        executor.Complete(batch);

        Assert.Equal(8, batch.Batch.Rows);
        var ra = await ta;
        var rb = await tb;
        Assert.Equal(new[] { 100f, 101f, 102f }, ra.Scores);
        Assert.Equal(new[] { 200f, 201f, 202f, 203f, 204f }, rb.Scores);
        Assert.Equal(8, rb.BatchRows);
    }

    [Fact]
    public async Task A_cancelled_request_is_removed_and_never_computed()
    {
        var executor = new ManualExecutor(replicas: 1) { Busy = 1 };
        await using var scheduler = NewScheduler(executor, BatchingMode.Static, target: 100);
        using var rows = Rows(4, first: 0);
        using var cts = new CancellationTokenSource();

        var task = scheduler.ScoreAsync(rows, Deadline(50), Priority.Normal, cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Equal(0, scheduler.QueuedRows);
        executor.Busy = 0;
        _time.Advance(TimeSpan.FromMilliseconds(10));
        executor.RaiseIdle();
        Assert.Equal(0, executor.BatchesStarted);
    }

    [Fact]
    public async Task Rows_whose_deadline_passes_in_the_queue_are_answered_deadline_exceeded_without_compute()
    {
        var executor = new ManualExecutor(replicas: 1) { Busy = 1 };
        await using var scheduler = NewScheduler(executor, BatchingMode.Adaptive, target: 100, maxDelayMs: 100);
        using var rows = Rows(4, first: 0);

        var task = scheduler.ScoreAsync(rows, Deadline(5), Priority.Normal, CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(6));
        executor.RaiseIdle();

        await Assert.ThrowsAsync<DeadlineExceededException>(() => task);
        Assert.Equal(0, executor.BatchesStarted);
    }

    [Fact]
    public async Task Static_batch_leaves_after_the_max_delay_on_the_injected_clock()
    {
        var executor = new ManualExecutor(replicas: 1);
        await using var scheduler = NewScheduler(executor, BatchingMode.Static, target: 100, maxDelayMs: 2);
        using var rows = Rows(4, first: 0);

        var task = scheduler.ScoreAsync(rows, Deadline(50), Priority.Normal, CancellationToken.None);
        Assert.False(executor.HasBatch);
        _time.Advance(TimeSpan.FromMilliseconds(2));
        var batch = await executor.NextBatch();
        executor.Complete(batch);

        var result = await task;
        Assert.Equal(new[] { 0f, 1f, 2f, 3f }, result.Scores);
        Assert.Equal(TimeSpan.FromMilliseconds(2), result.QueueWait);
    }

    [Fact]
    public async Task A_batch_whose_max_delay_passes_while_its_timer_is_being_set_leaves_without_waiting_for_another_tick()
    {
        // The clock reaches the batch's leave time between the scheduler reading it and setting its
        // timer (a preempted thread does this under load), so the timer itself is one delay late.
        var time = new ClockMovesWhileATimerIsSet(_time, TimeSpan.FromMilliseconds(2));
        var executor = new ManualExecutor(replicas: 1);
        var options = new BatchingOptions
        {
            Mode = BatchingMode.Static,
            TargetBatchRows = 100,
            MaxBatchRows = 256,
            MaxQueueDelay = TimeSpan.FromMilliseconds(2),
            DeadlineSafetyMargin = TimeSpan.Zero,
        };
        await using var scheduler = new BatchScheduler(executor, options, time);

        // Several requests one after another: the scheduler's timer loop is idle before most of them.
        for (var request = 0; request < 10; request++)
        {
            time.MoveOnNextTimer();
            using var rows = Rows(4, first: request * 10);
            var task = scheduler.ScoreAsync(rows, Deadline(50), Priority.Normal, CancellationToken.None);
            var batch = await executor.NextBatch(); // the test never moves the clock itself
            executor.Complete(batch);

            var result = await task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(request * 10, result.Scores[0]);
            Assert.False(time.Armed, "the clock moved while the batch's timer was set");
        }
    }

    [Fact]
    public async Task Scores_that_complete_after_the_deadline_are_answered_deadline_exceeded()
    {
        var executor = new ManualExecutor(replicas: 1);
        await using var scheduler = NewScheduler(executor, BatchingMode.Adaptive, target: 100);
        using var rows = Rows(4, first: 0);

        var task = scheduler.ScoreAsync(rows, Deadline(5), Priority.Normal, CancellationToken.None);
        var batch = await executor.NextBatch();
        _time.Advance(TimeSpan.FromMilliseconds(6));
        executor.Complete(batch);

        await Assert.ThrowsAsync<DeadlineExceededException>(() => task);
        Assert.Equal(1, executor.BatchesStarted);
    }

    [Fact]
    public async Task A_failed_batch_takes_the_rest_of_its_requests_out_of_the_queue_so_no_later_batch_reads_their_returned_buffers()
    {
        var executor = new ManualExecutor(replicas: 1);
        await using var scheduler = NewScheduler(executor, BatchingMode.Adaptive, target: 100, maxDelayMs: 100);
        var large = Rows(250, first: 0);
        using var small = Rows(10, first: 500);

        var failing = scheduler.ScoreAsync(large, Deadline(1000), Priority.Normal, CancellationToken.None);
        var first = await executor.NextBatch(); // the first 100-row slice of the large request
        var ok = scheduler.ScoreAsync(small, Deadline(1000), Priority.Normal, CancellationToken.None);
        ManualExecutor.Fail(first, new InvalidOperationException("session failed"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(TimeSpan.FromSeconds(30)));
        large.Dispose(); // the caller returns its buffers as soon as its call ends

        // Its other 150 rows left the queue with it: only the small request is left to run.
        Assert.Equal(10, scheduler.QueuedRows);
        executor.Busy = 0;
        executor.RaiseIdle();
        var next = await executor.NextBatch();
        Assert.All(next.Batch.Slices, slice => Assert.Same(small, slice.Source));
        executor.Complete(next);
        Assert.Equal(Enumerable.Range(500, 10).Select(v => (float)v), (await ok).Scores);
        Assert.Equal(0, scheduler.QueuedRows);
    }

    [Fact]
    public async Task Scoring_after_the_batcher_is_disposed_is_refused_at_once()
    {
        var executor = new ManualExecutor(replicas: 1);
        var scheduler = NewScheduler(executor, BatchingMode.Adaptive, target: 100);
        await scheduler.DisposeAsync();
        using var rows = Rows(4, first: 0);

        var refused = await Assert.ThrowsAsync<ScoringRejectedException>(
            () => scheduler.ScoreAsync(rows, Deadline(50), Priority.Normal, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(RejectionReasons.Draining, refused.Reason);
        Assert.Equal(0, executor.BatchesStarted);
    }

    [Fact]
    public async Task A_request_whose_batch_overruns_its_deadline_is_answered_then_and_its_rows_are_returned_when_the_run_ends()
    {
        var executor = new ManualExecutor(replicas: 1);
        await using var scheduler = NewScheduler(executor, BatchingMode.Adaptive, target: 100);
        var rows = Rows(4, first: 0);

        var task = scheduler.ScoreAsync(rows, Deadline(5), Priority.Normal, CancellationToken.None);
        var batch = await executor.NextBatch(); // a session that hangs
        _time.Advance(TimeSpan.FromMilliseconds(5.1));

        await Assert.ThrowsAsync<DeadlineExceededException>(() => task.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(rows.Returned, "a running session still reads the rows");

        executor.Complete(batch);
        Assert.True(SpinWait.SpinUntil(() => rows.Returned, TimeSpan.FromSeconds(30)), "the rows go back to the pool once the run ends");
    }

    private BatchScheduler NewScheduler(ManualExecutor executor, BatchingMode mode, int target, double maxDelayMs = 2)
    {
        var options = new BatchingOptions
        {
            Mode = mode,
            TargetBatchRows = target,
            MaxBatchRows = 256,
            MaxQueueDelay = TimeSpan.FromMilliseconds(maxDelayMs),
            DeadlineSafetyMargin = TimeSpan.Zero,
        };
        return new BatchScheduler(executor, options, _time);
    }

    private DateTimeOffset Deadline(double ms) => _time.GetUtcNow().AddMilliseconds(ms);

    /// <summary>Rows whose first dense value encodes the expected score, so results can be traced back.</summary>
    private FeatureRows Rows(int count, int first)
    {
        var rows = FeatureRows.Rent(_spec.Inputs, count);
        for (var r = 0; r < count; r++)
        {
            rows.Float32(0)[r * 2] = first + r;
        }

        return rows;
    }

    /// <summary>
    /// A fake clock that, once armed, moves on by <c>step</c> just before the next timer of exactly
    /// that length is created: the scheduler's timer is then set from a reading the clock has already passed.
    /// </summary>
    private sealed class ClockMovesWhileATimerIsSet(FakeTimeProvider clock, TimeSpan step) : TimeProvider
    {
        private int _armed;

        public bool Armed => Volatile.Read(ref _armed) == 1;

        public void MoveOnNextTimer() => Volatile.Write(ref _armed, 1);

        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public override long GetTimestamp() => clock.GetTimestamp();

        public override long TimestampFrequency => clock.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == step && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                clock.Advance(step);
            }

            return clock.CreateTimer(callback, state, dueTime, period);
        }
    }

    /// <summary>An executor the test drives: batches wait until the test completes them. Each costs 0.01 ms a row.</summary>
    private sealed class ManualExecutor(int replicas) : IBatchExecutor
    {
        private readonly System.Threading.Channels.Channel<(Batch Batch, TaskCompletionSource<BatchExecution> Done)> _batches =
            System.Threading.Channels.Channel.CreateUnbounded<(Batch, TaskCompletionSource<BatchExecution>)>();

        public int Busy { get; set; }
        public int BatchesStarted { get; private set; }
        public bool HasBatch => _batches.Reader.Count > 0;
        public string Device => "test";
        public int FreeReplicas => Replicas - Busy;
        public int Replicas { get; } = replicas;

        public event Action? ReplicaIdle;

        public void RaiseIdle() => ReplicaIdle?.Invoke();

        public TimeSpan PredictCompute(int rows) => TimeSpan.FromMilliseconds(0.01 * rows);

        public double RowsPerSecond(int batchRows) => Replicas * 100_000.0;

        public Task<BatchExecution> ExecuteAsync(Batch batch, CancellationToken cancellationToken = default)
        {
            BatchesStarted++;
            Busy++;
            var done = new TaskCompletionSource<BatchExecution>(TaskCreationOptions.RunContinuationsAsynchronously);
            _batches.Writer.TryWrite((batch, done));
            return done.Task;
        }

        public async Task<(Batch Batch, TaskCompletionSource<BatchExecution> Done)> NextBatch() =>
            await _batches.Reader.ReadAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        /// <summary>Fails the batch; its replica stays busy until the test frees it (so no batch forms meanwhile).</summary>
        public static void Fail((Batch Batch, TaskCompletionSource<BatchExecution> Done) batch, Exception error) =>
            batch.Done.SetException(error);

        public void Complete((Batch Batch, TaskCompletionSource<BatchExecution> Done) batch)
        {
            foreach (var slice in batch.Batch.Slices)
            {
                for (var r = 0; r < slice.RowCount; r++)
                {
                    slice.Scores.Span[r] = slice.Source.Float32(0)[(slice.FirstRow + r) * 2];
                }
            }

            Busy--;
            batch.Done.SetResult(new BatchExecution(Device, batch.Batch.Rows, TimeSpan.Zero, TimeSpan.FromMilliseconds(1)));
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
