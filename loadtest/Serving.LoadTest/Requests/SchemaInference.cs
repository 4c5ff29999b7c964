namespace Serving.LoadTest.Requests;

/// <summary>
/// Guesses a feature list from a data file when no model config is available: Criteo's I1..I13 are
/// dense and C1..C26 sparse; in a CSV, columns named I&lt;n&gt; are dense, id/click/label are skipped
/// and everything else (all Avazu columns) is sparse.
/// </summary>
internal static class SchemaInference
{
    private static readonly HashSet<string> NonFeatureColumns = new(StringComparer.OrdinalIgnoreCase) { "id", "click", "label" };

    public static IReadOnlyList<FeatureSpec> FromColumns(IEnumerable<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var features = new List<FeatureSpec>();
        foreach (var column in columns)
        {
            if (NonFeatureColumns.Contains(column))
            {
                continue;
            }

            features.Add(new FeatureSpec(column, IsDenseName(column) ? FeatureKind.Dense : FeatureKind.Sparse));
        }

        return features;
    }

    private static bool IsDenseName(string column) =>
        column.Length > 1 && column[0] == 'I' && column.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;
}
