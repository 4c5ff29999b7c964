using System.Text.Json;

namespace Serving.LoadTest.Requests;

/// <summary>Reads the feature list and SLO from a model repository <c>config.json</c> (models/README.md).</summary>
internal static class ModelConfigReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static ModelConfig ReadFile(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"Model config '{path}': {ex.Message}", ex);
        }
    }

    public static ModelConfig Parse(string json)
    {
        using var document = JsonDocument.Parse(json, DocumentOptions);
        var root = document.RootElement;
        var name = root.TryGetProperty("name", out var nameElement) ? nameElement.GetString() ?? "" : "";
        if (!root.TryGetProperty("features", out var featuresElement) || featuresElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("'features' must be an array.");
        }

        var features = new List<FeatureSpec>();
        foreach (var feature in featuresElement.EnumerateArray())
        {
            var featureName = feature.GetProperty("name").GetString()
                ?? throw new FormatException("A feature has no name.");
            var kindText = feature.TryGetProperty("kind", out var kindElement) ? kindElement.GetString() : null;
            var kind = kindText?.ToUpperInvariant() switch
            {
                "SPARSE" => FeatureKind.Sparse,
                "DENSE" => FeatureKind.Dense,
                _ => throw new FormatException($"Feature '{featureName}' has kind '{kindText}'; expected sparse or dense."),
            };
            var buckets = feature.TryGetProperty("buckets", out var bucketsElement) && bucketsElement.ValueKind == JsonValueKind.Number
                ? bucketsElement.GetInt64()
                : 0;
            features.Add(new FeatureSpec(featureName, kind, buckets));
        }

        double? slo = root.TryGetProperty("sloP99Ms", out var sloElement) && sloElement.ValueKind == JsonValueKind.Number
            ? sloElement.GetDouble()
            : null;
        return new ModelConfig(name, features, slo);
    }
}
