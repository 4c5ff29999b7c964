using Serving.Batching;
using Serving.Execution;
using Serving.Models;

namespace Serving.Registry;

/// <summary>One loaded version of a model: its spec, the batcher that gets its rows scored, and its device pools.</summary>
public sealed class ServedModelVersion(ModelSpec spec, string version, string modelPath, BatchScheduler scheduler, IReadOnlyList<DevicePool> pools, IReadOnlyList<DeviceStatus> devices)
{
    public ModelSpec Spec { get; } = spec;
    public string Version { get; } = version;
    public string ModelPath { get; } = modelPath;
    public BatchScheduler Scheduler { get; } = scheduler;

    /// <summary>The device pools the version runs on (CPU always; GPU when available).</summary>
    public IReadOnlyList<DevicePool> Pools { get; } = pools;

    /// <summary>Each configured device's state, including devices that could not be used and why.</summary>
    public IReadOnlyList<DeviceStatus> Devices { get; } = devices;

    /// <summary>True once every session of this version has run its warm-up batches.</summary>
    public bool Ready { get; set; }
}
