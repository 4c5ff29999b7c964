using Serving.Features;

namespace Serving.Batching;

/// <summary>
/// A run of consecutive rows of one request: where they are read from, where their scores go, and
/// the request's deadline. The same slice waits in the queue, travels in a <see cref="Batch"/> and
/// is executed on a device.
/// </summary>
public sealed class RowSlice(FeatureRows source, int firstRow, int rowCount, Memory<float> scores, DateTimeOffset deadline)
{
    internal RowSlice(ScoringTask owner, int firstRow, int rowCount)
        : this(owner.Rows, firstRow, rowCount, owner.Scores.AsMemory(firstRow, rowCount), owner.Deadline)
    {
        Owner = owner;
    }

    public FeatureRows Source { get; } = source;

    public int FirstRow { get; } = firstRow;

    public int RowCount { get; } = rowCount;

    /// <summary>Where the slice's scores are written, in row order.</summary>
    public Memory<float> Scores { get; } = scores;

    public DateTimeOffset Deadline { get; } = deadline;

    /// <summary>The batcher's request the slice belongs to; null for a slice made outside a batcher (benchmarks, tests).</summary>
    internal ScoringTask? Owner { get; }
}
