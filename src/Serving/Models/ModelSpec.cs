using System.Collections.Frozen;

namespace Serving.Models;

/// <summary>Element type of a model input tensor.</summary>
public enum TensorElementKind
{
    Float32,
    Int64,
}

/// <summary>How a feature's raw values are encoded.</summary>
public enum FeatureKind
{
    Sparse,
    Dense,
}

/// <summary>Transform applied to a dense value after the default is substituted for a missing one.</summary>
public enum DenseTransform
{
    Identity,
    Log1p,
}

/// <summary>A validated model input: a rank-2 tensor [batch, <see cref="Columns"/>].</summary>
public sealed record InputTensorSpec(string Name, TensorElementKind ElementKind, int Columns, int Index);

/// <summary>A validated feature: the input column it feeds and how its raw values are encoded.</summary>
public sealed record FeatureSpec(
    string Name,
    FeatureKind Kind,
    int InputIndex,
    int Column,
    long Buckets,
    DenseTransform Transform,
    double DefaultValue)
{
    /// <summary>Position of the feature in <see cref="ModelSpec.Features"/>.</summary>
    public int Index { get; init; }

    /// <summary>The bucket written for a missing sparse value.</summary>
    public long DefaultBucket => (long)DefaultValue;
}

/// <summary>A model's validated <c>config.json</c>: everything the server needs to assemble rows and run the graph.</summary>
public sealed class ModelSpec
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string? DefaultVersion { get; init; }
    public required ulong HashSeed { get; init; }
    public required IReadOnlyList<InputTensorSpec> Inputs { get; init; }
    public required string OutputName { get; init; }
    public required IReadOnlyList<FeatureSpec> Features { get; init; }
    public required FrozenDictionary<string, FeatureSpec> FeaturesByName { get; init; }
    public required TimeSpan SloP99 { get; init; }
    public BatchingDocument Batching { get; init; } = new();
    public DevicesDocument Devices { get; init; } = new();
    public QualityDocument? Quality { get; init; }
    public required string ConfigPath { get; init; }
}
