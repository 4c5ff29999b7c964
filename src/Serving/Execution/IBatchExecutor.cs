namespace Serving.Execution;

/// <summary>Runs batches on a device's session replicas; what the batcher hands closed batches to.</summary>
public interface IBatchExecutor : IAsyncDisposable
{
    string Device { get; }

    /// <summary>Replicas neither executing nor already promised a queued batch.</summary>
    int FreeReplicas { get; }

    /// <summary>Session replicas in the pool.</summary>
    int Replicas { get; }

    /// <summary>Raised each time a replica finishes a batch.</summary>
    event Action? ReplicaIdle;

    /// <summary>Executes the slices as one batch; completes once every slice's scores are written.</summary>
    Task<BatchExecution> ExecuteAsync(IReadOnlyList<RowSlice> slices, int rows, CancellationToken cancellationToken = default);
}
