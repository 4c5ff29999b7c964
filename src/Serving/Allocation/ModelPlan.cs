namespace Serving.Allocation;

/// <summary>The policy's answer for one model: the settings to apply, the changes made and why, and the fleet signals.</summary>
public sealed record ModelPlan(
    int TargetBatchRows,
    TimeSpan MaxQueueDelay,
    IReadOnlyDictionary<string, int> Replicas,
    IReadOnlyList<AllocatorDecision> Decisions,
    double DesiredReplicas,
    double HeadroomRatio,
    TimeSpan TargetP99,
    double BusyRatio,
    int BatchRowsCeiling)
{
    /// <summary>Rows per second one pod can answer for this model at the target utilisation (smoothed); null until measured.</summary>
    public double? PodCapacityRows { get; init; }

    /// <summary>Share of this pod's cores in use.</summary>
    public double CpuRatio { get; init; }
}
