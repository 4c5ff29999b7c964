namespace Serving.Allocation;

/// <summary>Per-model allocator settings (<c>Serving:Allocator:Models:&lt;name&gt;</c>): a pinned knob is set once and never changed.</summary>
public sealed class ModelAllocatorOptions
{
    internal static ModelAllocatorOptions Default { get; } = new();

    /// <summary>False: the controller leaves this model's settings alone (it still measures and publishes signals).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Pinned target batch rows.</summary>
    public int? TargetBatchRows { get; set; }

    /// <summary>Pinned max queue delay.</summary>
    public TimeSpan? MaxQueueDelay { get; set; }

    /// <summary>Pinned active replicas, by device (<c>cpu</c>, <c>gpu</c>).</summary>
    public Dictionary<string, int> Replicas { get; set; } = new(StringComparer.Ordinal);
}
