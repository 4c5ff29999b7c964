namespace Serving.Fleet.Devices;

/// <summary>
/// One kind of pod: its CPU cores (request handling, and model compute when it has no GPU), its
/// GPUs, the batch cost curve of each model on the device that computes it, and what a pod takes
/// to start.
/// </summary>
internal sealed record PodProfile
{
    public required string Name { get; init; }

    /// <summary>CPU cores the pod may use (its CPU request = limit).</summary>
    public required int Cores { get; init; }

    /// <summary>GPUs in the pod; 0 for a CPU pod, whose batches run on its cores.</summary>
    public int Gpus { get; init; }

    /// <summary>Session replicas loaded per model (the most the allocator can make active).</summary>
    public required int LoadedReplicas { get; init; }

    /// <summary>Batch cost curve per model name, on the device that computes it.</summary>
    public required IReadOnlyDictionary<string, CostCurve> Curves { get; init; }

    public RequestCpuCost RequestCost { get; init; } = RequestCpuCost.Measured;

    /// <summary>Shortest and longest start-up (image pull, model load, warm-up); each new pod draws one between them.</summary>
    public double StartupMinSeconds { get; init; } = 30;

    public double StartupMaxSeconds { get; init; } = 90;

    /// <summary>Devices counted for device-hours: GPUs for a GPU pod, cores for a CPU pod.</summary>
    public int Devices => Gpus > 0 ? Gpus : Cores;

    public string DeviceKind => Gpus > 0 ? "gpu" : "cpu";
}
