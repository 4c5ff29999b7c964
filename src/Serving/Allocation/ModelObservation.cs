using Serving.Batching;

namespace Serving.Allocation;

/// <summary>Everything the policy knows about one model at one control step.</summary>
public sealed record ModelObservation
{
    public required string Model { get; init; }

    /// <summary>The time of the step (the controller's clock).</summary>
    public required DateTimeOffset Now { get; init; }

    public required TimeSpan Slo { get; init; }

    public BatchingMode Mode { get; init; } = BatchingMode.Adaptive;

    /// <summary>The batcher's hard cap on rows per batch (the replicas' buffer size).</summary>
    public required int MaxBatchRows { get; init; }

    public required int TargetBatchRows { get; init; }

    public required TimeSpan MaxQueueDelay { get; init; }

    public required IReadOnlyList<DeviceReplicas> Devices { get; init; }

    /// <summary>The batcher's cost model: compute time of a batch of the given rows.</summary>
    public required Func<int, TimeSpan> PredictCompute { get; init; }

    /// <summary>The latest window; null when the source could not be read (every unpinned knob holds).</summary>
    public LatencySnapshot? Measurement { get; init; }

    /// <summary>
    /// This pod's own window for the model (the same as <see cref="Measurement"/> with the in-process
    /// source): replica decisions and the capacity of one pod are local matters.
    /// </summary>
    public LatencySnapshot? Local { get; init; }

    /// <summary>This pod's CPU and rows, all models together; null when unknown.</summary>
    public PodLoad? Pod { get; init; }
}
