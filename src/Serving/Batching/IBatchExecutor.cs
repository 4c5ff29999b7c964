namespace Serving.Batching;

/// <summary>Runs batches on session replicas: what the batcher hands closed batches to. Implemented by the execution stage.</summary>
public interface IBatchExecutor : IBatchCostPredictor, IAsyncDisposable
{
    string Device { get; }

    /// <summary>Replicas neither executing nor already promised a queued batch.</summary>
    int FreeReplicas { get; }

    /// <summary>Replicas allowed to execute at once.</summary>
    int Replicas { get; }

    /// <summary>Raised each time a replica finishes a batch (or more replicas may run).</summary>
    event Action? ReplicaIdle;

    /// <summary>
    /// Executes the batch; completes once every slice's scores are written. A batch whose
    /// <paramref name="cancellationToken"/> fires is abandoned: its scores are not written back.
    /// </summary>
    Task<BatchExecution> ExecuteAsync(Batch batch, CancellationToken cancellationToken = default);
}
