using System.Globalization;
using Serving.Contracts.Ranking.V1;
using Serving.Models;
using FeatureKind = Serving.Models.FeatureKind;

namespace Serving.Benchmarks;

/// <summary>
/// Builds Criteo-like rank requests from a model spec alone (never from the data files): dense
/// features are small log-normal counts with some missing (NaN), sparse features 8-hex-digit
/// strings drawn from a per-feature vocabulary with some missing (""). Deterministic per seed.
/// </summary>
internal static class SyntheticRequests
{
    private const double MissingDense = 0.1;
    private const double MissingSparse = 0.05;
    private const int Vocabulary = 2048;

    /// <summary>One request of <paramref name="candidates"/> candidates, every feature a candidate column.</summary>
    public static RankRequest Build(ModelSpec spec, int candidates, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var random = new Random(seed);
        var request = new RankRequest
        {
            Model = spec.Name,
            RequestId = "bench-" + seed.ToString(CultureInfo.InvariantCulture),
            CandidateCount = candidates,
            Candidates = new Contracts.Ranking.V1.Features(),
        };

        foreach (var feature in spec.Features)
        {
            if (feature.Kind == FeatureKind.Dense)
            {
                var column = new DenseColumn { Name = feature.Name };
                for (var r = 0; r < candidates; r++)
                {
                    column.Values.Add(random.NextDouble() < MissingDense
                        ? float.NaN
                        : MathF.Floor(MathF.Exp((float)(random.NextDouble() * 6))));
                }

                request.Candidates.Dense.Add(column);
            }
            else
            {
                var vocabulary = new string[Vocabulary];
                for (var v = 0; v < vocabulary.Length; v++)
                {
                    vocabulary[v] = random.Next().ToString("x8", CultureInfo.InvariantCulture);
                }

                var column = new SparseColumn { Name = feature.Name };
                for (var r = 0; r < candidates; r++)
                {
                    column.Values.Add(random.NextDouble() < MissingSparse ? "" : vocabulary[random.Next(vocabulary.Length)]);
                }

                request.Candidates.Sparse.Add(column);
            }
        }

        return request;
    }
}
