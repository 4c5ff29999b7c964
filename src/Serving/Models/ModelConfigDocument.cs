using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serving.Models;

/// <summary>The JSON shape of <c>models/&lt;name&gt;/config.json</c>, as written by the export scripts.</summary>
public sealed class ModelConfigDocument
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string? DefaultVersion { get; set; }
    public ulong HashSeed { get; set; }
    public List<InputDocument>? Inputs { get; set; }
    public OutputDocument? Output { get; set; }
    public List<FeatureDocument>? Features { get; set; }
    public double? SloP99Ms { get; set; }
    public BatchingDocument? Batching { get; set; }
    public DevicesDocument? Devices { get; set; }
    public QualityDocument? Quality { get; set; }

    /// <summary>Which versions on disk are served (model-level file only).</summary>
    public VersionPolicyDocument? VersionPolicy { get; set; }

    /// <summary>Label → version (model-level file only), e.g. <c>{"stable": "1", "canary": "2"}</c>.</summary>
    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>Version or label → weight (model-level file only): how requests that name no version are split.</summary>
    public Dictionary<string, double>? Traffic { get; set; }

    /// <summary>The version mirrored a share of traffic off the critical path (model-level file only).</summary>
    public ShadowDocument? Shadow { get; set; }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

/// <summary>One ONNX graph input: a rank-2 tensor [batch, columns].</summary>
public sealed class InputDocument
{
    public string? Name { get; set; }
    public string? Type { get; set; }
    public int Columns { get; set; }
}

/// <summary>The ONNX graph output holding the click probability.</summary>
public sealed class OutputDocument
{
    public string? Name { get; set; }
}

/// <summary>One feature: which input column it feeds and how a raw value is encoded.</summary>
public sealed class FeatureDocument
{
    public string? Name { get; set; }
    public string? Kind { get; set; }
    public string? Input { get; set; }
    public int Column { get; set; }
    public string? Hash { get; set; }
    public long Buckets { get; set; }
    public string? Transform { get; set; }
    public double Default { get; set; }
}

/// <summary>Per-model batching overrides; unset values come from <c>Serving:Batching</c>.</summary>
public sealed class BatchingDocument
{
    public string? Mode { get; set; }
    public int? TargetBatchRows { get; set; }
    public int? MaxBatchRows { get; set; }
    public double? MaxQueueDelayMs { get; set; }
    public int? MaxQueuedRows { get; set; }
}

/// <summary>Per-model device overrides; unset values come from <c>Serving:Devices</c>.</summary>
public sealed class DevicesDocument
{
    public CpuDeviceDocument? Cpu { get; set; }
    public GpuDeviceDocument? Gpu { get; set; }
}

/// <summary>Per-model CPU pool overrides.</summary>
public sealed class CpuDeviceDocument
{
    public int? Replicas { get; set; }
    public int? IntraOpThreads { get; set; }
}

/// <summary>Per-model GPU pool overrides.</summary>
public sealed class GpuDeviceDocument
{
    public bool? Enabled { get; set; }
    public int? ReplicasPerDevice { get; set; }
}

/// <summary>Which versions of a model are served: the latest N (default 1), specific ones, or all.</summary>
public sealed class VersionPolicyDocument
{
    public int? Latest { get; set; }
    public List<string>? Specific { get; set; }
    public bool? All { get; set; }
}

/// <summary>Mirror <see cref="Fraction"/> of the model's traffic to <see cref="Version"/> (a version or a label).</summary>
public sealed class ShadowDocument
{
    public string? Version { get; set; }
    public double Fraction { get; set; }
}

/// <summary>Offline quality figures recorded at export.</summary>
public sealed class QualityDocument
{
    public string? Dataset { get; set; }
    public int TrainRows { get; set; }
    public int HoldoutRows { get; set; }
    public double HoldoutAuc { get; set; }
    public double HoldoutLogloss { get; set; }
}
