using System.Globalization;
using System.Text.Json;
using Serving.Contracts.Ranking.V1;
using Serving.Models;

namespace Serving.IntegrationTests;

/// <summary>Builds rank requests for the shipped models: from their export fixtures, or synthetic.</summary>
internal static class Requests
{
    public static ModelSpec Spec(string model) =>
        ModelConfigLoader.LoadFile(Path.Combine(RepositoryPaths.Models, model, "config.json"));

    /// <summary>The export's fixture as a request, and the scores PyTorch computed for it.</summary>
    public static (RankRequest Request, float[] Scores) Fixture(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Models, model, "1", "fixture.json")));
        var root = doc.RootElement;
        var request = new RankRequest { Model = model, CandidateCount = root.GetProperty("candidateCount").GetInt32(), Candidates = new RequestFeatures() };
        if (root.TryGetProperty("sparse", out var sparse))
        {
            foreach (var column in sparse.EnumerateObject())
            {
                var c = new SparseColumn { Name = column.Name };
                c.Values.Add(column.Value.EnumerateArray().Select(v => v.GetString() ?? ""));
                request.Candidates.Sparse.Add(c);
            }
        }

        if (root.TryGetProperty("dense", out var dense))
        {
            foreach (var column in dense.EnumerateObject())
            {
                var c = new DenseColumn { Name = column.Name };
                c.Values.Add(column.Value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? float.NaN : v.GetSingle()));
                request.Candidates.Dense.Add(c);
            }
        }

        var scores = root.GetProperty("scores").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        return (request, scores);
    }

    /// <summary>A synthetic request: random hex strings and small numbers, some missing.</summary>
    public static RankRequest Synthetic(string model, int candidates, int seed)
    {
        var spec = Spec(model);
        var random = new Random(seed);
        var request = new RankRequest { Model = model, CandidateCount = candidates, Candidates = new RequestFeatures(), RequestId = $"synthetic-{seed}" };
        foreach (var feature in spec.Features)
        {
            if (feature.Kind == Models.FeatureKind.Sparse)
            {
                var c = new SparseColumn { Name = feature.Name };
                for (var i = 0; i < candidates; i++)
                {
                    c.Values.Add(random.Next(10) == 0 ? "" : random.Next(0, 40).ToString("x8", CultureInfo.InvariantCulture));
                }

                request.Candidates.Sparse.Add(c);
            }
            else
            {
                var c = new DenseColumn { Name = feature.Name };
                for (var i = 0; i < candidates; i++)
                {
                    c.Values.Add(random.Next(10) == 0 ? float.NaN : random.Next(0, 200));
                }

                request.Candidates.Dense.Add(c);
            }
        }

        return request;
    }
}
