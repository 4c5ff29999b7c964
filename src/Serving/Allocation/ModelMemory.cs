namespace Serving.Allocation;

/// <summary>What the policy remembers about one model between steps.</summary>
internal sealed class ModelMemory
{
    public KnobMemory Rows { get; } = new();
    public KnobMemory Delay { get; } = new();
    public ReplicaMemory Replicas { get; } = new();

    /// <summary>Smoothed rows per second one pod answers at the target utilisation.</summary>
    public double? PodCapacityRows { get; set; }

    /// <summary>The last latency factor of the pod capacity (<see cref="LatencyCapacity"/>); 1 until measured.</summary>
    public double LatencyFactor { get; set; } = 1;
}
