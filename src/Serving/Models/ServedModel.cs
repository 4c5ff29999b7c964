using Serving.Batching;
using Serving.Execution;

namespace Serving.Models;

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

/// <summary>A model and its served versions, newest last.</summary>
public sealed class ServedModel
{
    public ServedModel(string name, IReadOnlyList<ServedModelVersion> versions, string defaultVersion)
    {
        Name = name;
        Versions = versions;
        Default = versions.FirstOrDefault(v => v.Version == defaultVersion)
            ?? throw new ArgumentException($"default version '{defaultVersion}' is not among the versions", nameof(defaultVersion));
    }

    public string Name { get; }
    public IReadOnlyList<ServedModelVersion> Versions { get; }
    public ServedModelVersion Default { get; }

    /// <summary>The given version, or the default one for an empty string; null when no such version is served.</summary>
    public ServedModelVersion? Find(string version)
    {
        if (version.Length == 0)
        {
            return Default;
        }

        foreach (var v in Versions)
        {
            if (v.Version == version)
            {
                return v;
            }
        }

        return null;
    }
}
