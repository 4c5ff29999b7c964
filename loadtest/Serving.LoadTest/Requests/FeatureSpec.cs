namespace Serving.LoadTest.Requests;

/// <summary>Whether a feature is categorical (sent as strings) or numeric (sent as floats).</summary>
internal enum FeatureKind
{
    Sparse,
    Dense,
}

/// <summary>One input feature of a model, as far as the load generator needs to know it.</summary>
/// <param name="Name">Feature name.</param>
/// <param name="Kind">Sparse or dense.</param>
/// <param name="Buckets">Sparse bucket count from the model config (0 when unknown).</param>
internal sealed record FeatureSpec(string Name, FeatureKind Kind, long Buckets = 0);

/// <summary>What the load generator reads from <c>models/&lt;name&gt;/config.json</c>.</summary>
internal sealed record ModelConfig(string Name, IReadOnlyList<FeatureSpec> Features, double? SloP99Ms);
