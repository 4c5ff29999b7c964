using Serving.Batching;

namespace Serving.Allocation;

/// <summary>The knobs of one served model as the controller reads and turns them.</summary>
public interface IControlledModel
{
    string Name { get; }
    TimeSpan Slo { get; }
    BatchingMode Mode { get; }

    /// <summary>The batcher's hard cap on rows per batch.</summary>
    int MaxBatchRows { get; }

    int TargetBatchRows { get; set; }
    TimeSpan MaxQueueDelay { get; set; }
    IReadOnlyList<DeviceReplicas> Devices { get; }

    /// <summary>Sets the active replicas of a device; returns the count in force (clamped by the pool).</summary>
    int SetReplicas(string device, int replicas);

    /// <summary>The cost model: compute time of a batch of <paramref name="rows"/>.</summary>
    TimeSpan PredictCompute(int rows);
}
