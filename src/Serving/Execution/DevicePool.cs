using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Serving.Execution;

/// <summary>
/// The session replicas of one model version on one device. Batches queue here; each loaded
/// replica has a worker that takes the next batch, executes it, and reports its cost. Only
/// <see cref="Replicas"/> of them work at once (the allocator changes it at run time).
/// <see cref="ReplicaIdle"/> tells the batcher when a replica is free for the next batch.
/// Workers are dedicated threads blocked on the queue, not thread-pool work: under overload the
/// thread pool is full of request handling, and compute must not wait behind it.
/// </summary>
public sealed class DevicePool : IBatchExecutor
{
    private readonly BlockingCollection<QueuedBatch> _queue = new(new ConcurrentQueue<QueuedBatch>());
    private readonly SemaphoreSlim _slots;
    private readonly List<Thread> _workers = [];
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<BatchExecution>? _onExecuted;
    private readonly Lock _resize = new();
    private int _active;
    private int _executing;
    private int _queued;

    public DevicePool(string device, IReadOnlyList<IReplica> replicas, TimeProvider time, ILogger logger, Action<BatchExecution>? onExecuted = null)
    {
        if (replicas.Count == 0)
        {
            throw new ArgumentException("a device pool needs at least one replica", nameof(replicas));
        }

        Device = device;
        LoadedReplicas = replicas.Count;
        MaxBatchRows = replicas[0].MaxBatchRows;
        _time = time;
        _logger = logger;
        _onExecuted = onExecuted;
        _active = replicas.Count;
        _slots = new SemaphoreSlim(replicas.Count);
        for (var i = 0; i < replicas.Count; i++)
        {
            var replica = replicas[i];
            var worker = new Thread(() => Work(replica)) { IsBackground = true, Name = $"serving-{device}-{i}" };
            worker.Start();
            _workers.Add(worker);
        }
    }

    public string Device { get; }

    /// <summary>Sessions created and warmed at start: the most that can be active.</summary>
    public int LoadedReplicas { get; }

    public int MaxBatchRows { get; }

    /// <summary>Replicas allowed to execute at once.</summary>
    public int Replicas => Volatile.Read(ref _active);

    /// <summary>Batches waiting for a replica.</summary>
    public int QueuedBatches => Volatile.Read(ref _queued);

    /// <summary>Active replicas neither executing nor already promised a queued batch.</summary>
    public int FreeReplicas => Replicas - Volatile.Read(ref _executing) - Volatile.Read(ref _queued);

    /// <summary>Raised on a worker thread each time a replica finishes a batch.</summary>
    public event Action? ReplicaIdle;

    /// <summary>Sets how many replicas may execute at once, clamped to [1, <see cref="LoadedReplicas"/>]; returns the new count.</summary>
    public int SetActiveReplicas(int replicas)
    {
        lock (_resize)
        {
            var target = Math.Clamp(replicas, 1, LoadedReplicas);
            var delta = target - _active;
            if (delta > 0)
            {
                _slots.Release(delta);
            }
            else
            {
                // Park slots: each taken slot keeps one worker from starting another batch.
                for (var i = 0; i < -delta; i++)
                {
                    _ = _slots.WaitAsync();
                }
            }

            Volatile.Write(ref _active, target);
            ReplicaIdle?.Invoke();
            return target;
        }
    }

    /// <summary>
    /// Queues the slices as one batch; completes when every slice's scores are written. A batch
    /// whose <paramref name="cancellationToken"/> fires is abandoned: if it has not started it never
    /// runs, and if it is running its scores are not written back.
    /// </summary>
    public Task<BatchExecution> ExecuteAsync(IReadOnlyList<RowSlice> slices, int rows, CancellationToken cancellationToken = default)
    {
        var batch = new QueuedBatch(slices, rows, _time.GetTimestamp());
        Interlocked.Increment(ref _queued);
        try
        {
            _queue.Add(batch, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            Interlocked.Decrement(ref _queued);
            return Task.FromException<BatchExecution>(new ObjectDisposedException(nameof(DevicePool)));
        }

        if (cancellationToken.CanBeCanceled)
        {
            batch.Registration = cancellationToken.Register(() => batch.Abandon(cancellationToken));
        }

        return batch.Completion.Task;
    }

    private void Work(IReplica replica)
    {
        while (true)
        {
            _slots.Wait();
            if (!_queue.TryTake(out var batch, Timeout.Infinite))
            {
                _slots.Release();
                break;
            }

            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _executing);
            try
            {
                Run(replica, batch);
            }
            finally
            {
                Interlocked.Decrement(ref _executing);
                _slots.Release();
            }

            ReplicaIdle?.Invoke();
        }

        replica.Dispose();
    }

    private void Run(IReplica replica, QueuedBatch batch)
    {
        if (!batch.TryStart())
        {
            return;
        }

        var started = _time.GetTimestamp();
        try
        {
            replica.Execute(batch.Slices, batch.TryClaimScatter);
            var finished = _time.GetTimestamp();
            var execution = new BatchExecution(
                Device,
                batch.Rows,
                _time.GetElapsedTime(batch.EnqueuedTimestamp, started),
                _time.GetElapsedTime(started, finished));
            _onExecuted?.Invoke(execution);
            batch.Completion.TrySetResult(execution);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Batch of {Rows} rows failed on {Device}", batch.Rows, Device);
            batch.Completion.TrySetException(ex);
        }
        finally
        {
            batch.Registration.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_queue.IsAddingCompleted)
        {
            return;
        }

        _queue.CompleteAdding();

        // Free every worker, even those behind parked slots, so each sees the queue complete.
        _slots.Release(LoadedReplicas);
        await Task.Run(() => _workers.ForEach(w => w.Join())).ConfigureAwait(false);
        _queue.Dispose();
    }

    private sealed class QueuedBatch(IReadOnlyList<RowSlice> slices, int rows, long enqueuedTimestamp)
    {
        private const int Pending = 0, Running = 1, Abandoned = 2, Scattering = 3;
        private int _state;

        public IReadOnlyList<RowSlice> Slices { get; } = slices;
        public int Rows { get; } = rows;
        public long EnqueuedTimestamp { get; } = enqueuedTimestamp;
        public CancellationTokenRegistration Registration { get; set; }
        public TaskCompletionSource<BatchExecution> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryStart() => Interlocked.CompareExchange(ref _state, Running, Pending) == Pending;

        /// <summary>True when the scores may still be written back (the batch was not abandoned meanwhile).</summary>
        public bool TryClaimScatter() => Interlocked.CompareExchange(ref _state, Scattering, Running) == Running;

        public void Abandon(CancellationToken token)
        {
            if (Interlocked.CompareExchange(ref _state, Abandoned, Pending) == Pending
                || Interlocked.CompareExchange(ref _state, Abandoned, Running) == Running)
            {
                Completion.TrySetCanceled(token);
            }
        }
    }
}
