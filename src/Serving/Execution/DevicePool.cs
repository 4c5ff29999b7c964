using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Serving.Execution;

/// <summary>
/// The session replicas of one model version on one device. Batches queue here; each replica has
/// a worker that takes the next batch, executes it, and reports its cost. <see cref="ReplicaIdle"/>
/// tells the batcher when a replica is free, so it can hand over the next batch.
/// </summary>
public sealed class DevicePool : IBatchExecutor
{
    private readonly Channel<QueuedBatch> _queue = Channel.CreateUnbounded<QueuedBatch>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly List<Task> _workers = [];
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<BatchExecution>? _onExecuted;
    private int _idle;
    private int _queued;

    public DevicePool(string device, IReadOnlyList<SessionReplica> replicas, TimeProvider time, ILogger logger, Action<BatchExecution>? onExecuted = null)
    {
        if (replicas.Count == 0)
        {
            throw new ArgumentException("a device pool needs at least one replica", nameof(replicas));
        }

        Device = device;
        Replicas = replicas.Count;
        MaxBatchRows = replicas[0].MaxBatchRows;
        _time = time;
        _logger = logger;
        _onExecuted = onExecuted;
        _idle = replicas.Count;
        foreach (var replica in replicas)
        {
            _workers.Add(Task.Run(() => WorkAsync(replica)));
        }
    }

    public string Device { get; }

    public int Replicas { get; }

    public int MaxBatchRows { get; }

    /// <summary>Replicas not executing a batch, less batches already waiting for one.</summary>
    public int FreeReplicas => Volatile.Read(ref _idle) - Volatile.Read(ref _queued);

    /// <summary>Raised on a worker thread each time a replica finishes a batch.</summary>
    public event Action? ReplicaIdle;

    /// <summary>Queues the slices as one batch; completes when every slice's scores are written.</summary>
    public Task<BatchExecution> ExecuteAsync(IReadOnlyList<RowSlice> slices, int rows)
    {
        var batch = new QueuedBatch(slices, rows, _time.GetTimestamp());
        Interlocked.Increment(ref _queued);
        if (!_queue.Writer.TryWrite(batch))
        {
            Interlocked.Decrement(ref _queued);
            return Task.FromException<BatchExecution>(new ObjectDisposedException(nameof(DevicePool)));
        }

        return batch.Completion.Task;
    }

    private async Task WorkAsync(SessionReplica replica)
    {
        await foreach (var batch in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Decrement(ref _idle);
            var started = _time.GetTimestamp();
            try
            {
                replica.Execute(batch.Slices);
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
                Interlocked.Increment(ref _idle);
            }

            ReplicaIdle?.Invoke();
        }

        replica.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
    }

    private sealed record QueuedBatch(IReadOnlyList<RowSlice> Slices, int Rows, long EnqueuedTimestamp)
    {
        public TaskCompletionSource<BatchExecution> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
