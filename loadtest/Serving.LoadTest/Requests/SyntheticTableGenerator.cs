using System.Globalization;

namespace Serving.LoadTest.Requests;

/// <summary>
/// Makes up rows for a model's features when no data file is replayed: random 8-hex-digit strings
/// for sparse features (like Criteo's hashed categoricals) and small non-negative count-like floats
/// for dense ones.
/// </summary>
internal static class SyntheticTableGenerator
{
    public static RawTable Generate(IReadOnlyList<FeatureSpec> features, int rowCount, int seed)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowCount, 1);
#pragma warning disable CA5394 // Synthetic workload, not security.
        var random = new Random(seed);
        var rows = new List<string[]>(rowCount);
        for (var r = 0; r < rowCount; r++)
        {
            var row = new string[features.Count];
            for (var f = 0; f < features.Count; f++)
            {
                row[f] = features[f].Kind == FeatureKind.Sparse
                    ? random.Next().ToString("x8", CultureInfo.InvariantCulture)
                    : Math.Floor(Math.Exp(random.NextDouble() * 6) - 1).ToString(CultureInfo.InvariantCulture);
            }

            rows.Add(row);
        }
#pragma warning restore CA5394

        return new RawTable(features.Select(f => f.Name).ToArray(), rows);
    }
}
