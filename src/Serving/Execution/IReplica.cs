using Serving.Batching;

namespace Serving.Execution;

/// <summary>One session replica of a device pool: runs one batch at a time.</summary>
public interface IReplica : IDisposable
{
    /// <summary>Most rows one batch may hold (the size of the replica's buffers).</summary>
    int MaxBatchRows { get; }

    /// <summary>
    /// Runs the slices as one batch and writes each slice's scores to its destination, unless
    /// <paramref name="mayScatter"/> says the batch was abandoned meanwhile.
    /// </summary>
    void Execute(IReadOnlyList<RowSlice> slices, Func<bool>? mayScatter = null);

    /// <summary>Asks the run going now to stop (from another thread): <see cref="Execute"/> then throws. The next run is not affected.</summary>
    void Terminate();
}
