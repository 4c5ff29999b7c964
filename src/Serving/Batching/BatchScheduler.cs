using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;

namespace Serving.Batching;

/// <summary>
/// The batcher of one model version: admits requests, queues their slices, and dispatches batches
/// as the <see cref="BatchQueue"/> decides — at once on the thread where rows arrive or a replica
/// frees up, and from a timer loop for the next deadline or max delay. Measured batches feed the cost model.
/// </summary>
public sealed class BatchScheduler : IRowScheduler
{
    private readonly IBatchExecutor _executor;
    private readonly BatchCostModel _cost;
    private readonly TimeProvider _time;
    private readonly IBatchObserver _observer;
    private readonly BatchQueue _queue;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private readonly Task _stopped;
    /// <summary>Shortest timer wait, so a decision time already due can never spin the loop.</summary>
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(0.1);

    private int _disposed;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public BatchScheduler(IBatchExecutor executor, BatchSettings settings, BatchCostModel cost, TimeProvider time, IBatchObserver? observer = null)
    {
        _executor = executor;
        Settings = settings;
        _cost = cost;
        _time = time;
        _observer = observer ?? IBatchObserver.None;
        _queue = new BatchQueue(settings, cost);
        _executor.ReplicaIdle += DispatchNow;
        _stopped = Task.Delay(Timeout.InfiniteTimeSpan, _stopping.Token);
        _loop = Task.Run(DispatchLoopAsync);
    }

    public BatchSettings Settings { get; }

    public BatchCostModel CostModel => _cost;

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

    public async Task<ScoreResult> ScoreAsync(FeatureRows rows, DateTimeOffset deadline, Priority priority, CancellationToken cancellationToken)
    {
        var task = new ScoringTask(rows, deadline, priority, _time.GetUtcNow());
        List<ScoringTask> evicted;
        lock (_lock)
        {
            var busy = _executor.Replicas - _executor.FreeReplicas;
            try
            {
                evicted = _queue.Admit(task, task.EnqueuedAt, busy, _executor.Replicas);
            }
            catch (ScoringRejectedException ex)
            {
                _observer.Rejected(ex.Reason);
                throw;
            }

            _queue.Enqueue(task);
            _observer.QueuedRows(_queue.QueuedRows);
        }

        foreach (var victim in evicted)
        {
            _observer.Rejected(RejectionReasons.BestEffortShed);
            victim.Fail(new ScoringRejectedException(RejectionReasons.BestEffortShed, "best-effort request shed to make room for normal-priority traffic"));
        }

        DispatchNow();
        using var registration = cancellationToken.Register(() => Cancel(task, cancellationToken));
        try
        {
            var result = await task.Completion.ConfigureAwait(false);

            // Scores that arrive after the deadline are of no use to the caller: the contract is a
            // timely answer or DEADLINE_EXCEEDED, never a late one.
            return _time.GetUtcNow() <= deadline
                ? result
                : throw new ScoringDeadlineExceededException("the rows were scored, but only after the deadline");
        }
        catch (Exception ex) when (ex is ScoringDeadlineExceededException or BatchDeadlineExceededException)
        {
            _observer.DeadlineExceeded();
            throw;
        }
    }

    private void Cancel(ScoringTask task, CancellationToken token)
    {
        lock (_lock)
        {
            _queue.Remove(task);
            _observer.QueuedRows(_queue.QueuedRows);
        }

        task.Fail(new OperationCanceledException("the caller cancelled the request", token));
    }

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
            Dispatch();
        }

        Signal();
    }

    private async Task DispatchLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            var wake = Volatile.Read(ref _wake).Task;
            var nextDecision = Dispatch();
            var timer = _stopped;
            if (nextDecision is { } at)
            {
                var delay = at - _time.GetUtcNow();
                timer = delay > TimeSpan.Zero ? Task.Delay(delay, _time, token) : Task.CompletedTask;
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
        var batches = new List<(List<RowSlice> Slices, int Rows)>();
        DateTimeOffset dispatchedAt;
        DateTimeOffset? next;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            dispatchedAt = now;
            expired = _queue.RemoveExpired(now);
            var free = _executor.FreeReplicas;
            var busy = _executor.Replicas - free;
            while (free > 0 && _queue.TakeBatch(now, busy) is { } taken)
            {
                var slices = new List<RowSlice>(taken.Count);
                var rows = 0;
                foreach (var pending in taken)
                {
                    slices.Add(pending.Task.Start(pending));
                    rows += pending.RowCount;
                }

                batches.Add((slices, rows));
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

            _observer.QueuedRows(_queue.QueuedRows);
        }

        foreach (var task in expired)
        {
            task.Fail(new ScoringDeadlineExceededException("the deadline passed while the request was queued"));
        }

        foreach (var (slices, rows) in batches)
        {
            _ = RunAsync(slices, rows, dispatchedAt);
        }

        return next;
    }

    private async Task RunAsync(List<RowSlice> slices, int rows, DateTimeOffset dispatchedAt)
    {
        try
        {
            var execution = await _executor.ExecuteAsync(slices, rows).ConfigureAwait(false);
            _cost.Observe(rows, execution.Compute);
            foreach (var slice in slices)
            {
                // A row's queue time: waiting in this batcher, then for a replica on the device.
                var owner = OwnerOf(slice);
                var queued = dispatchedAt - owner.EnqueuedAt + execution.QueueWait;
                _observer.SliceQueued(execution.Device, queued);
                owner.SliceCompleted(execution with { QueueWait = queued });
            }
        }
        catch (Exception ex)
        {
            foreach (var slice in slices)
            {
                OwnerOf(slice).SliceFailed(ex);
            }
        }
    }

    private static ScoringTask OwnerOf(RowSlice slice) => (ScoringTask)slice.Owner!;

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

/// <summary>What the batcher reports as it works; the host wires it to metrics.</summary>
public interface IBatchObserver
{
    static IBatchObserver None { get; } = new NoObserver();

    void Rejected(string reason);

    void DeadlineExceeded();

    void QueuedRows(int rows);

    /// <summary>A slice's rows started computing on <paramref name="device"/> after waiting <paramref name="queued"/>.</summary>
    void SliceQueued(string device, TimeSpan queued);

    private sealed class NoObserver : IBatchObserver
    {
        public void SliceQueued(string device, TimeSpan queued)
        {
        }

        public void Rejected(string reason)
        {
        }

        public void DeadlineExceeded()
        {
        }

        public void QueuedRows(int rows)
        {
        }
    }
}
