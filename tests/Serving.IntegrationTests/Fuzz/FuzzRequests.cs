using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests.Fuzz;

/// <summary>The valid requests the fuzzers start from: for each shipped model, synthetic requests of 1 to 8 candidates, every other one with two columns in the context.</summary>
internal static class FuzzRequests
{
    public static readonly string[] Models = ["criteo-deepfm", "avazu-dcn"];

    public static readonly IReadOnlyList<RankRequest> Pool = Build();

    /// <summary>A case's draw from its seed: the random source of its mutations, the request it mutates and a donor for splices (indexes into <see cref="Pool"/>).</summary>
    public static (Random Random, int Valid, int Donor) Draw(int seed)
    {
        var random = new Random(seed);
        return (random, random.Next(Pool.Count), random.Next(Pool.Count));
    }

    private static List<RankRequest> Build()
    {
        var pool = new List<RankRequest>();
        foreach (var model in Models)
        {
            for (var i = 0; i < 32; i++)
            {
                var request = Requests.Synthetic(model, 1 + (i % 8), seed: 1000 + i);
                if (i % 2 == 1)
                {
                    MoveToContext(request);
                }

                pool.Add(request);
            }
        }

        return pool;
    }

    /// <summary>The first sparse and dense columns (avazu-dcn has no dense ones) become context columns holding their first value.</summary>
    private static void MoveToContext(RankRequest request)
    {
        request.Context = new RequestFeatures();
        var sparse = request.Candidates.Sparse[0];
        request.Candidates.Sparse.RemoveAt(0);
        request.Context.Sparse.Add(new SparseColumn { Name = sparse.Name, Values = { sparse.Values[0] } });
        if (request.Candidates.Dense.Count > 0)
        {
            var dense = request.Candidates.Dense[0];
            request.Candidates.Dense.RemoveAt(0);
            request.Context.Dense.Add(new DenseColumn { Name = dense.Name, Values = { dense.Values[0] } });
        }
    }
}
