namespace Serving.Allocation;

/// <summary>When a model's replicas last changed, since when they have been idle, and the replica on trial.</summary>
internal sealed class ReplicaMemory
{
    public DateTimeOffset? LastChange { get; set; }
    public DateTimeOffset? IdleSince { get; set; }
    public ReplicaProbe? Probe { get; set; }

    /// <summary>A replica total not to grow to again while the load stays as it is.</summary>
    public LoadBoundLimit Blocked { get; } = new();
}
