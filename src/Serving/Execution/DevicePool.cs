using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Serving.Batching;

namespace Serving.Execution;

/// <summary>
/// The session replicas of one model version on one device, and what a batch costs there.
/// Batches queue here; each loaded replica has a worker that takes the next batch, executes it,
/// and feeds its compute time into the pool's own <see cref="Cost"/> model. Only
/// <see cref="Replicas"/> of them work at once (the allocator changes it at run time).
/// <see cref="ReplicaIdle"/> tells the batcher when a replica is free for the next batch.
/// Workers are dedicated threads blocked on the queue, not thread-pool work: under overload the
/// thread pool is full of request handling, and compute must not wait behind it.
/// </summary>
public sealed class DevicePool : IBatchExecutor
{
    private readonly BlockingCollection<PoolAttempt> _queue = new(new ConcurrentQueue<PoolAttempt>());
    private readonly SemaphoreSlim _slots;
    private readonly List<Thread> _workers = [];
    private readonly List<RunWatchdog> _watchdogs = [];
    private readonly DevicePoolLimits _limits;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<BatchExecution>? _onExecuted;
    private readonly Lock _resize = new();
    private int _active;
    private int _executing;
    private int _queued;

    /// <param name="device">The pool's label: <c>cpu</c> or <c>gpu</c>.</param>
    /// <param name="replicas">Warmed replicas; the pool disposes them.</param>
    /// <param name="cost">The device's cost model, seeded by the replicas' warm-up; the pool observes every batch it runs into it.</param>
    /// <param name="time">The clock batches are timed with.</param>
    /// <param name="logger">Where failed batches are logged.</param>
    /// <param name="onExecuted">Called with each executed batch (metrics).</param>
    /// <param name="limits">Run and stop timeouts (<see cref="DevicePoolLimits.Default"/> when null).</param>
    public DevicePool(string device, IReadOnlyList<IReplica> replicas, BatchCostModel cost, TimeProvider time, ILogger logger, Action<BatchExecution>? onExecuted = null, DevicePoolLimits? limits = null)
    {
        if (replicas.Count == 0)
        {
            throw new ArgumentException("a device pool needs at least one replica", nameof(replicas));
        }

        Device = device;
        Cost = cost;
        LoadedReplicas = replicas.Count;
        MaxBatchRows = replicas[0].MaxBatchRows;
        _time = time;
        _logger = logger;
        _onExecuted = onExecuted;
        _limits = limits ?? DevicePoolLimits.Default;
        _active = replicas.Count;
        _slots = new SemaphoreSlim(replicas.Count);
        for (var i = 0; i < replicas.Count; i++)
        {
            var replica = replicas[i];
            var watchdog = new RunWatchdog(replica, time, _limits.RunTimeout);
            var worker = new Thread(() => Work(replica, watchdog)) { IsBackground = true, Name = $"serving-{device}-{i}" };
            _watchdogs.Add(watchdog);
            _workers.Add(worker);
            worker.Start();
        }
    }

    public string Device { get; }

    /// <summary>What a batch costs on this device, learned from the batches the pool ran.</summary>
    public BatchCostModel Cost { get; }

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

    public TimeSpan PredictCompute(int rows) => Cost.Predict(rows);

    public double RowsPerSecond(int batchRows) =>
        Replicas * Math.Max(batchRows, 1) / Math.Max(Cost.Predict(Math.Max(batchRows, 1)).TotalSeconds, 1e-9);

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
            RaiseIdle();
            return target;
        }
    }

    /// <summary>
    /// Queues the batch; completes when every slice's scores are written. A batch whose
    /// <paramref name="cancellationToken"/> fires is abandoned: if it has not started it never
    /// runs, and if it is running its scores are not written back.
    /// </summary>
    public Task<BatchExecution> ExecuteAsync(Batch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var attempt = new PoolAttempt(batch, _time.GetTimestamp());
        Interlocked.Increment(ref _queued);
        try
        {
            _queue.Add(attempt, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            Interlocked.Decrement(ref _queued);
            return Task.FromException<BatchExecution>(new ObjectDisposedException(nameof(DevicePool)));
        }

        if (cancellationToken.CanBeCanceled)
        {
            attempt.Registration = cancellationToken.Register(() => attempt.Abandon(cancellationToken));
        }

        return attempt.Completion.Task;
    }

    private void Work(IReplica replica, RunWatchdog watchdog)
    {
        while (true)
        {
            _slots.Wait();
            if (!_queue.TryTake(out var attempt, Timeout.Infinite))
            {
                _slots.Release();
                break;
            }

            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _executing);
            try
            {
                Run(replica, watchdog, attempt);
            }
            finally
            {
                Interlocked.Decrement(ref _executing);
                _slots.Release();
            }

            RaiseIdle();
        }

        replica.Dispose();
    }

    private void Run(IReplica replica, RunWatchdog watchdog, PoolAttempt attempt)
    {
        if (!attempt.TryStart())
        {
            return;
        }

        var batch = attempt.Batch;
        var started = _time.GetTimestamp();
        try
        {
            using (watchdog.Start())
            {
                try
                {
                    replica.Execute(batch.Slices, attempt.TryClaimScatter);
                }
                finally
                {
                    watchdog.End();
                }
            }

            var finished = _time.GetTimestamp();
            var execution = new BatchExecution(
                Device,
                batch.Rows,
                _time.GetElapsedTime(attempt.EnqueuedTimestamp, started),
                _time.GetElapsedTime(started, finished),
                _time.GetUtcNow());
            Cost.Observe(batch.Rows, execution.Compute);
            _onExecuted?.Invoke(execution);
            if (attempt.Scattered)
            {
                batch.Scored(execution); // hand the scores over here, not after a thread-pool hop
            }

            attempt.Complete(execution);
        }
        catch (Exception ex)
        {
            var why = watchdog.Terminated
                ? $"ran longer than {_limits.RunTimeout.TotalMilliseconds:0} ms and was terminated"
                : $"failed: {ex.Message}";
            _logger.LogError(ex, "Batch of {Rows} rows on {Device} {Why}", batch.Rows, Device, why);
            attempt.Completion.TrySetException(new BatchFailedException(Device, $"a batch of {batch.Rows} rows on {Device} {why}", ex));
        }
        finally
        {
            attempt.Finish();
            attempt.Registration.Dispose();
        }
    }

    /// <summary>Tells the batcher a replica is free; a failing handler is logged, never allowed to end the worker thread.</summary>
    private void RaiseIdle()
    {
        try
        {
            ReplicaIdle?.Invoke();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A replica-idle handler on {Device} failed; the pool carries on", Device);
        }
    }

    /// <summary>
    /// Stops the pool: batches already queued still run, then the workers end and dispose their
    /// replicas. A run still going after <see cref="DevicePoolLimits.StopTimeout"/> is terminated;
    /// one that ignores that too is left to the process exit after another stop timeout (its
    /// replica is not disposed under it).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue.IsAddingCompleted)
        {
            return;
        }

        _queue.CompleteAdding();

        // Free every worker, even those behind parked slots, so each sees the queue complete.
        _slots.Release(LoadedReplicas);
        var joined = Task.Run(() => _workers.ForEach(w => w.Join()));
        if (await EndsWithin(joined).ConfigureAwait(false))
        {
            _queue.Dispose();
            return;
        }

        var terminated = _watchdogs.Count(w => w.TerminateCurrent());
        _logger.LogWarning("Stopping {Device}: {Runs} runs still going after {Timeout}; terminated", Device, terminated, _limits.StopTimeout);
        if (!await EndsWithin(joined).ConfigureAwait(false))
        {
            _logger.LogError("Stopping {Device}: runs ignore the terminate flag; leaving them to the process exit", Device);
        }
    }

    private async Task<bool> EndsWithin(Task task)
    {
        try
        {
            await task.WaitAsync(_limits.StopTimeout, _time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
