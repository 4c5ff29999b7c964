using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Contracts.Ranking.V1;
using Serving.Features;

namespace Serving.Batching;

/// <summary>
/// The batcher of one model version: admits requests, queues their slices, and dispatches batches
/// as the <see cref="BatchQueue"/> decides — at once on the thread where rows arrive or a replica
/// frees up, and from a timer loop for the next deadline or max delay. What a batch costs comes
/// from the executor, whose device pools measure their own batches.
/// </summary>
public sealed class BatchScheduler : IAsyncDisposable
{
    private readonly IBatchExecutor _executor;
    private readonly TimeProvider _time;
    private readonly SafeBatchObserver _observer;
    private readonly ILogger _logger;
    private readonly Action<Batch, BatchExecution> _handOver;
    private readonly BatchQueue _queue;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private readonly Task _stopped;
    /// <summary>Shortest timer wait, so a decision time already due can never spin the loop.</summary>
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(0.1);

    private int _disposed;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BatchScheduler(IBatchExecutor executor, BatchingOptions options, TimeProvider time, IBatchObserver? observer = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        _executor = executor;
        Options = options;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        _observer = new SafeBatchObserver(observer ?? IBatchObserver.None, _logger);
        _handOver = HandOver;
        _queue = new BatchQueue(options, executor);
        _executor.ReplicaIdle += DispatchNow;
        _stopped = Task.Delay(Timeout.InfiniteTimeSpan, _stopping.Token);
        _loop = Task.Run(DispatchLoopAsync);
    }

    /// <summary>The version's batching settings as loaded (the live knobs are <see cref="TargetBatchRows"/> and <see cref="MaxQueueDelay"/>).</summary>
    public BatchingOptions Options { get; }

    /// <summary>Where batches run, and what they cost there.</summary>
    public IBatchExecutor Executor => _executor;

    /// <summary>Rows at which a batch leaves at once; the allocator turns it. Clamped to [1, MaxBatchRows].</summary>
    public int TargetBatchRows
    {
        get
        {
            lock (_lock)
            {
                return _queue.TargetBatchRows;
            }
        }

        set
        {
            lock (_lock)
            {
                _queue.TargetBatchRows = value;
            }
        }
    }

    /// <summary>Longest a row waits for more rows; the allocator turns it.</summary>
    public TimeSpan MaxQueueDelay
    {
        get
        {
            lock (_lock)
            {
                return _queue.MaxQueueDelay;
            }
        }

        set
        {
            lock (_lock)
            {
                _queue.MaxQueueDelay = value;
            }

            Signal(); // the next decision time may move
        }
    }

    public int QueuedRows
    {
        get
        {
            lock (_lock)
            {
                return _queue.QueuedRows;
            }
        }
    }

    /// <summary>
    /// Scores every row; the result's scores are in row order. Takes ownership of
    /// <paramref name="rows"/>: they go back to the pool once no session reads them any more, which
    /// may be after this call has ended (a run that overruns the deadline is answered at the
    /// deadline, and its rows are returned when the run ends).
    /// </summary>
    public async Task<ScoreResult> ScoreAsync(FeatureRows rows, DateTimeOffset deadline, Priority priority, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var task = new ScoringTask(rows, deadline, priority, _time.GetUtcNow()) { TraceParent = ServingTracing.CurrentContext() };
        List<ScoringTask> evicted;
        try
        {
            lock (_lock)
            {
                if (Volatile.Read(ref _disposed) == 1)
                {
                    throw new ScoringRejectedException(RejectionReasons.Draining, "the model version is shutting down; retry");
                }

                var busy = _executor.Replicas - _executor.FreeReplicas;
                evicted = _queue.Admit(task, task.EnqueuedAt, busy, _executor.Replicas);
                _queue.Enqueue(task);
                QueuedRowsChanged();
            }
        }
        catch (Exception ex)
        {
            rows.Dispose(); // never queued: nothing else will return them
            if (ex is ScoringRejectedException rejected)
            {
                _observer.Rejected(rejected.Reason);
            }
            else if (ex is DeadlineExceededException)
            {
                _observer.DeadlineExceeded();
            }

            throw;
        }

        foreach (var victim in evicted)
        {
            _observer.Rejected(RejectionReasons.BestEffortShed);
            victim.Fail(new ScoringRejectedException(RejectionReasons.BestEffortShed, "best-effort request shed to make room for normal-priority traffic"));
        }

        DispatchNow();
        try
        {
            var remaining = deadline - _time.GetUtcNow();
            ScoreResult result;
            try
            {
                result = await task.Completion.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested && !task.Completion.IsCompleted)
            {
                // The caller is gone: its queued rows leave the queue, and none of them starts.
                Cancel(task, new OperationCanceledException("the caller cancelled the request", ex, cancellationToken));
                throw;
            }
            catch (TimeoutException) when (!task.Completion.IsCompletedSuccessfully)
            {
                // Answer at the deadline, whatever a session is still doing with the rows: the task
                // returns them when its last running slice ends.
                var late = new DeadlineExceededException("no scores by the deadline (a batch was still running or waiting)");
                ObserveLateness(_time.GetUtcNow() - task.ExpectedFinish);
                Cancel(task, late);
                throw late;
            }
            catch (TimeoutException)
            {
                // The scores came, but the deadline's timer ran before this call was resumed.
                result = task.Completion.Result;
            }

            // Scores that arrive after the deadline are of no use to the caller: the contract is a
            // timely answer or DEADLINE_EXCEEDED, never a late one. "Arrive" is when the device wrote
            // the last of them: a thread pool busy with other calls may resume this one later, and
            // answering DEADLINE_EXCEEDED then would throw away scores that were made in time.
            var resumedAt = _time.GetUtcNow();
            var scoredAt = result.FinishedAt == default ? resumedAt : result.FinishedAt;

            // Admission learns from when the caller could answer (the thread pool's lag included),
            // so under overload it admits what can be answered in time, not only scored in time.
            ObserveLateness(resumedAt - task.ExpectedFinish);
            return scoredAt <= deadline
                ? result
                : throw new DeadlineExceededException("the rows were scored, but only after the deadline");
        }
        catch (DeadlineExceededException)
        {
            _observer.DeadlineExceeded();
            throw;
        }
    }

    private void ObserveLateness(TimeSpan lateness)
    {
        lock (_lock)
        {
            _queue.Lateness.Observe(lateness);
        }
    }

    /// <summary>How late admitted requests finish beyond their predicted completion (99.9th percentile, learned).</summary>
    public TimeSpan LatenessAllowance
    {
        get
        {
            lock (_lock)
            {
                return _queue.Lateness.Allowance;
            }
        }
    }

    /// <summary>Takes the task's queued slices out and ends it with <paramref name="error"/> once nothing of it runs.</summary>
    private void Cancel(ScoringTask task, Exception error)
    {
        lock (_lock)
        {
            _queue.Remove(task);
            QueuedRowsChanged();
        }

        task.Fail(error);
    }

    /// <summary>Reports the queue's rows (called under the lock).</summary>
    private void QueuedRowsChanged() => _observer.QueuedRows(_queue.QueuedRows);

    private void Signal() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>
    /// Dispatches on the calling thread (a request arriving, a replica finishing) rather than
    /// waking the loop: under load the thread pool is busy with request handling, and a batch must
    /// not wait for a loop continuation to be scheduled. The loop then re-arms its timer.
    /// </summary>
    private void DispatchNow()
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            TryDispatch();
        }

        Signal();
    }

    /// <summary>
    /// <see cref="Dispatch"/>, which must never end the thread it runs on (a replica's worker, the
    /// timer loop): a failure is logged and the next decision comes soon after.
    /// </summary>
    private DateTimeOffset? TryDispatch()
    {
        try
        {
            return Dispatch();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Dispatching batches failed; trying again shortly");
            return _time.GetUtcNow() + MinimumWait;
        }
    }

    private async Task DispatchLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            var wake = Volatile.Read(ref _wake).Task;
            var nextDecision = TryDispatch();
            var timer = _stopped;
            if (nextDecision is { } at)
            {
                var delay = at - _time.GetUtcNow();
                timer = delay > TimeSpan.Zero ? Task.Delay(delay, _time, token) : Task.CompletedTask;

                // The clock may have passed the instant while the timer was being set (a timer is
                // relative to the clock it reads on creation, so it would fire one delay late):
                // decide again at once rather than wait for a later tick.
                if (_time.GetUtcNow() >= at)
                {
                    timer = Task.CompletedTask;
                }
            }

            try
            {
                await Task.WhenAny(wake, timer).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (wake.IsCompleted)
            {
                Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }
    }

    /// <summary>Drops expired rows, dispatches every batch that should leave now, and returns when to decide again.</summary>
    private DateTimeOffset? Dispatch()
    {
        List<ScoringTask> expired;
        var batches = new List<Batch>();
        DateTimeOffset? next;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            expired = _queue.RemoveExpired(now);
            var free = _executor.FreeReplicas;
            var busy = _executor.Replicas - free;
            while (free > 0 && _queue.TakeBatch(now, busy) is { } batch)
            {
                foreach (var slice in batch.Slices)
                {
                    slice.Owner!.Start(slice);
                }

                batches.Add(batch);
                free--;
                busy++;
            }

            // With a replica free, wake when the head batch must leave; with none, a free replica
            // wakes the loop, and the timer only has to expire rows whose deadline passes meanwhile.
            next = free > 0 ? _queue.NextDecisionTime() : _queue.EarliestDeadline();
            if (next <= now && batches.Count == 0)
            {
                next = now + MinimumWait;
            }

            QueuedRowsChanged();
        }

        foreach (var task in expired)
        {
            ObserveLateness(task.Deadline - task.ExpectedFinish); // late at least by this much
            task.Fail(new DeadlineExceededException("the deadline passed while the request was queued"));
        }

        foreach (var batch in batches)
        {
            _ = RunAsync(batch);
        }

        return next;
    }

    private async Task RunAsync(Batch batch)
    {
        batch.WhenScored(_handOver);
        try
        {
            var execution = await _executor.ExecuteAsync(batch).ConfigureAwait(false);
            if (batch.TryClaimHandOver())
            {
                HandOver(batch, execution); // an executor that does not call Batch.Scored
            }
        }
        catch (Exception ex)
        {
            // The requests in the batch fail; their slices still queued leave with them, before
            // they complete and return their buffers, so no later batch reads those buffers.
            lock (_lock)
            {
                foreach (var slice in batch.Slices)
                {
                    _queue.Remove(slice.Owner!);
                }

                QueuedRowsChanged();
            }

            Trace(batch, device: "", compute: TimeSpan.Zero, _time.GetUtcNow(), failed: true);
            foreach (var slice in batch.Slices)
            {
                slice.Owner!.SliceFailed(ex);
            }
        }
    }

    /// <summary>Gives each request its slice's scores and timing (on the device's thread when the executor calls <see cref="Batch.Scored"/>).</summary>
    private void HandOver(Batch batch, BatchExecution execution)
    {
        foreach (var slice in batch.Slices)
        {
            // A row's queue time: waiting in this batcher, then for a replica on the device.
            var owner = slice.Owner!;
            var queued = batch.DispatchedAt - owner.EnqueuedAt + execution.QueueWait;
            _observer.SliceQueued(execution.Device, queued);
            owner.SliceCompleted(execution with { QueueWait = queued });
        }

        Trace(batch, execution.Device, execution.Compute, execution.FinishedAt == default ? _time.GetUtcNow() : execution.FinishedAt, failed: false);
    }

    /// <summary>
    /// Records the batch's spans once it has ended (nothing with tracing off): the batch, linked to
    /// every request in it; its device run; and each slice's wait from admission to that run.
    /// </summary>
    private static void Trace(Batch batch, string device, TimeSpan compute, DateTimeOffset finishedAt, bool failed)
    {
        if (!ServingTracing.Source.HasListeners())
        {
            return;
        }

        var links = batch.Slices.Select(s => s.Owner!.TraceParent).Where(c => c != default).Distinct().Select(c => new ActivityLink(c)).ToList();
        var runStart = finishedAt - compute;
        var tags = new KeyValuePair<string, object?>[] { new("serving.device", device), new("serving.batch.rows", batch.Rows), new("serving.batch.slices", batch.Slices.Count) };
        var context = ServingTracing.Record("serving.batch", default, batch.DispatchedAt, finishedAt, links, tags, failed);
        if (!failed)
        {
            ServingTracing.Record("serving.device_run", context, runStart, finishedAt, tags: [new("serving.device", device), new("serving.batch.rows", batch.Rows)]);
        }

        foreach (var slice in batch.Slices)
        {
            if (slice.Owner!.TraceParent != default)
            {
                ServingTracing.Record("serving.queue", slice.Owner.TraceParent, slice.Owner.EnqueuedAt, failed ? finishedAt : runStart, tags: [new("serving.rows", slice.RowCount), new("serving.device", device)], failed: failed);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _executor.ReplicaIdle -= DispatchNow;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        List<ScoringTask> left;
        lock (_lock)
        {
            left = _queue.RemoveExpired(DateTimeOffset.MaxValue);
        }

        foreach (var task in left)
        {
            task.Fail(new ScoringRejectedException(RejectionReasons.Draining, "the server is shutting down"));
        }

        await _executor.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
