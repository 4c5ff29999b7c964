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

/// <summary>Offline quality figures recorded at export.</summary>
public sealed class QualityDocument
{
    public string? Dataset { get; set; }
    public int TrainRows { get; set; }
    public int HoldoutRows { get; set; }
    public double HoldoutAuc { get; set; }
    public double HoldoutLogloss { get; set; }
}
