namespace Serving.LoadTest.Requests;

/// <summary>A model feature tied to the table column that feeds it.</summary>
/// <param name="Name">Feature name, as in the model config and the request.</param>
/// <param name="Kind">Sparse or dense.</param>
/// <param name="ColumnIndex">Column of the table that feeds it.</param>
/// <param name="IsContext">Sent once per request in <c>context</c> rather than per candidate.</param>
internal readonly record struct FeatureBinding(string Name, FeatureKind Kind, int ColumnIndex, bool IsContext);

/// <summary>The bindings, plus the model features no column could feed (the server then uses their defaults).</summary>
internal sealed record FeatureBindings(IReadOnlyList<FeatureBinding> Bindings, IReadOnlyList<string> Unbound);

/// <summary>Maps a model's features to table columns by name.</summary>
internal static class FeatureBinder
{
    public static FeatureBindings Bind(IReadOnlyList<FeatureSpec> features, RawTable table, IReadOnlyCollection<string> contextFeatures)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(contextFeatures);

        foreach (var name in contextFeatures)
        {
            if (!features.Any(f => string.Equals(f.Name, name, StringComparison.Ordinal)))
            {
                throw new ArgumentException($"Context feature '{name}' is not a feature of the model.", nameof(contextFeatures));
            }
        }

        var bindings = new List<FeatureBinding>();
        var unbound = new List<string>();
        foreach (var feature in features)
        {
            var column = table.IndexOf(feature.Name);
            if (column < 0)
            {
                unbound.Add(feature.Name);
                continue;
            }

            bindings.Add(new FeatureBinding(feature.Name, feature.Kind, column, contextFeatures.Contains(feature.Name)));
        }

        if (bindings.Count == 0)
        {
            throw new ArgumentException(
                $"No column of the data file matches a feature of the model (columns: {string.Join(",", table.Columns.Take(8))}...).",
                nameof(table));
        }

        return new FeatureBindings(bindings, unbound);
    }
}
