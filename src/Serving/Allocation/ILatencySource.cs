namespace Serving.Allocation;

/// <summary>Reads the latest window of latency and load figures for the served models.</summary>
public interface ILatencySource
{
    /// <summary><c>InProcess</c> or <c>Prometheus</c>, for logs and <c>/v1/allocator</c>.</summary>
    string Name { get; }

    /// <summary>
    /// One snapshot per model asked for (an empty one for a model without traffic). Throws when
    /// the source cannot be read (the controller then skips the step).
    /// </summary>
    Task<IReadOnlyDictionary<string, LatencySnapshot>> ReadAsync(IReadOnlyCollection<string> models, CancellationToken cancellationToken);
}
