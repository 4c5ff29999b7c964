namespace Serving.Batching;

/// <summary>How rows from different requests are combined into batches.</summary>
public enum BatchingMode
{
    /// <summary>Deadline-aware: dispatch at the target rows, before the earliest deadline would miss, at the max delay, or at once to an idle device.</summary>
    Adaptive,

    /// <summary>TF Serving style: dispatch at the target rows or after the max queue delay.</summary>
    Static,

    /// <summary>No cross-request batching: each request runs alone on a free session.</summary>
    None,
}

/// <summary>Batching defaults (<c>Serving:Batching</c>); a model's config.json may override each.</summary>
public sealed class BatchingOptions
{
    public BatchingMode Mode { get; set; } = BatchingMode.Adaptive;

    /// <summary>Rows at which a batch leaves at once; longer requests are split into slices of this size.</summary>
    public int TargetBatchRows { get; set; } = 256;

    /// <summary>Most rows in one batch (the session buffers' size).</summary>
    public int MaxBatchRows { get; set; } = 1024;

    /// <summary>Longest a row waits for more rows before its batch leaves.</summary>
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Most rows waiting per model version; beyond it requests are rejected.</summary>
    public int MaxQueuedRows { get; set; } = 16_384;

    /// <summary>Best-effort requests are admitted only while the queue is below this fraction of <see cref="MaxQueuedRows"/>.</summary>
    public double BestEffortMaxQueueFraction { get; set; } = 0.5;

    /// <summary>Time kept in hand for the response when judging whether a deadline can still be met.</summary>
    public TimeSpan DeadlineSafetyMargin { get; set; } = TimeSpan.FromMilliseconds(0.5);
}

/// <summary>
/// The live settings of one model version's batcher: start from options and config, and are
/// changed at run time by the allocator controller.
/// </summary>
public sealed class BatchSettings
{
    private int _targetBatchRows;
    private long _maxQueueDelayTicks;

    public BatchSettings(BatchingOptions options)
    {
        Mode = options.Mode;
        MaxBatchRows = options.MaxBatchRows;
        MaxQueuedRows = options.MaxQueuedRows;
        BestEffortMaxQueueFraction = options.BestEffortMaxQueueFraction;
        DeadlineSafetyMargin = options.DeadlineSafetyMargin;
        TargetBatchRows = options.TargetBatchRows;
        MaxQueueDelay = options.MaxQueueDelay;
    }

    public BatchingMode Mode { get; }
    public int MaxBatchRows { get; }
    public int MaxQueuedRows { get; }
    public double BestEffortMaxQueueFraction { get; }
    public TimeSpan DeadlineSafetyMargin { get; }

    /// <summary>Clamped to [1, <see cref="MaxBatchRows"/>].</summary>
    public int TargetBatchRows
    {
        get => Volatile.Read(ref _targetBatchRows);
        set => Volatile.Write(ref _targetBatchRows, Math.Clamp(value, 1, MaxBatchRows));
    }

    public TimeSpan MaxQueueDelay
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref _maxQueueDelayTicks));
        set => Volatile.Write(ref _maxQueueDelayTicks, Math.Max(0, value.Ticks));
    }

    /// <summary>Rows per slice when a request is split: the target, except in mode none where a request stays whole up to the batch cap.</summary>
    public int SliceRows => Mode == BatchingMode.None ? MaxBatchRows : TargetBatchRows;
}
