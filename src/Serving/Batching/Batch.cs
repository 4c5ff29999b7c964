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
}
