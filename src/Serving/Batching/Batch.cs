namespace Serving.Batching;

/// <summary>
/// Slices of one or more requests that run together, as one session run: formed by the
/// <see cref="BatchQueue"/>, carried by the <see cref="BatchScheduler"/> to an <see cref="IBatchExecutor"/>,
/// and executed on a device.
/// </summary>
public sealed class Batch
{
    public Batch(IReadOnlyList<RowSlice> slices, DateTimeOffset dispatchedAt)
    {
        ArgumentNullException.ThrowIfNull(slices);
        Slices = slices;
        DispatchedAt = dispatchedAt;
        var earliest = DateTimeOffset.MaxValue;
        foreach (var slice in slices)
        {
            Rows += slice.RowCount;
            earliest = slice.Deadline < earliest ? slice.Deadline : earliest;
        }

        EarliestDeadline = earliest;
    }

    public IReadOnlyList<RowSlice> Slices { get; }

    /// <summary>Rows of all slices together.</summary>
    public int Rows { get; }

    /// <summary>The earliest deadline among the slices: when the batch is of no use any more.</summary>
    public DateTimeOffset EarliestDeadline { get; }

    /// <summary>When the batch left the queue.</summary>
    public DateTimeOffset DispatchedAt { get; }

    private Action<Batch, BatchExecution>? _onScored;
    private int _scored;

    /// <summary>
    /// Called by the executor on its own thread the moment every slice's scores are written (once;
    /// a try abandoned meanwhile does not call it). The batcher hands the scores to their requests
    /// there, so a thread pool busy with other calls cannot make scores that were ready in time late.
    /// </summary>
    public void Scored(BatchExecution execution)
    {
        if (Interlocked.Exchange(ref _scored, 1) == 0)
        {
            _onScored?.Invoke(this, execution);
        }
    }

    /// <summary>What <see cref="Scored"/> calls (the batcher's hand-over).</summary>
    internal void WhenScored(Action<Batch, BatchExecution> handOver) => _onScored = handOver;

    /// <summary>True for the first caller only: the hand-over happens once, from <see cref="Scored"/> or from the executor's result.</summary>
    internal bool TryClaimHandOver() => Interlocked.Exchange(ref _scored, 1) == 0;
}
