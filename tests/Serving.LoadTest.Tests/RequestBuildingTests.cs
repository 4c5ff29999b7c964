using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;
using FeatureKind = Serving.LoadTest.Requests.FeatureKind;

namespace Serving.LoadTest.Tests;

public sealed class RequestBuildingTests
{
    private static readonly FeatureSpec[] CriteoLikeFeatures =
        [new("I1", FeatureKind.Dense), new("I2", FeatureKind.Dense), new("C1", FeatureKind.Sparse), new("C2", FeatureKind.Sparse), new("C4", FeatureKind.Sparse)];

    private static RawTable CriteoTable(int rows)
    {
        using var reader = new StringReader(SyntheticData.CriteoFile(rows));
        return CriteoTsvReader.Read(reader);
    }

    private static RankRequestFactory Factory(RawTable table, params string[] context)
    {
        var bindings = FeatureBinder.Bind(CriteoLikeFeatures, table, context);
        return new RankRequestFactory(table, bindings.Bindings, new RequestTemplate("criteo-deepfm", "2", 25, Priority.BestEffort));
    }

    [Fact]
    public void RequestIsColumnarWithOneValuePerCandidate()
    {
        var table = CriteoTable(10);
        var request = Factory(table).Create(candidateCount: 4, firstRow: 3, requestId: "r1");

        Assert.Equal("criteo-deepfm", request.Model);
        Assert.Equal("2", request.Version);
        Assert.Equal("r1", request.RequestId);
        Assert.Equal(25u, request.BudgetMs);
        Assert.Equal(Priority.BestEffort, request.Priority);
        Assert.Equal(4, request.CandidateCount);
        Assert.Null(request.Context);
        Assert.Equal(["I1", "I2"], request.Candidates.Dense.Select(c => c.Name));
        Assert.Equal(["C1", "C2", "C4"], request.Candidates.Sparse.Select(c => c.Name));
        Assert.All(request.Candidates.Dense, c => Assert.Equal(4, c.Values.Count));
        Assert.All(request.Candidates.Sparse, c => Assert.Equal(4, c.Values.Count));
        // Rows 3..6: I1 = 3 + row (missing in row 4); C1 = row x 1000 + 1 in hex (missing in row 6).
        Assert.Equal([6f, float.NaN, 8f, 9f], request.Candidates.Dense[0].Values);
        Assert.Equal(["00000bb9", "00000fa1", "00001389", ""], request.Candidates.Sparse[0].Values);
    }

    [Fact]
    public void MissingValuesAreNaNForDenseAndEmptyForSparse()
    {
        var table = CriteoTable(10);
        var request = Factory(table).Create(candidateCount: 1, firstRow: 3, requestId: "r");
        // Row 3: I2 and C4 are missing in the synthetic data.
        Assert.True(float.IsNaN(request.Candidates.Dense[1].Values[0]));
        Assert.Equal("", request.Candidates.Sparse[2].Values[0]);
    }

    [Fact]
    public void RowsCycleWhenARequestRunsPastTheEnd()
    {
        var table = CriteoTable(3);
        var request = Factory(table).Create(candidateCount: 5, firstRow: 2, requestId: "r");
        // Rows 2, 0, 1, 2, 0.
        Assert.Equal([5f, 3f, 4f, 5f, 3f], request.Candidates.Dense[0].Values);
    }

    [Fact]
    public void ContextFeaturesAreSentOnceAndNotPerCandidate()
    {
        var table = CriteoTable(10);
        var request = Factory(table, "C1", "C2").Create(candidateCount: 6, firstRow: 0, requestId: "r");

        Assert.NotNull(request.Context);
        Assert.Equal(["C1", "C2"], request.Context.Sparse.Select(c => c.Name));
        Assert.All(request.Context.Sparse, c => Assert.Single(c.Values));
        Assert.Equal(["C4"], request.Candidates.Sparse.Select(c => c.Name));
    }

    [Fact]
    public void UnknownContextFeatureIsRefused()
    {
        Assert.Throws<ArgumentException>(() => Factory(CriteoTable(2), "C99"));
    }

    [Fact]
    public void FeaturesMissingFromTheDataAreReportedUnbound()
    {
        FeatureSpec[] features = [new("C1", FeatureKind.Sparse), new("user_age", FeatureKind.Dense)];
        var bindings = FeatureBinder.Bind(features, CriteoTable(2), []);
        Assert.Equal(["C1"], bindings.Bindings.Select(b => b.Name));
        Assert.Equal(["user_age"], bindings.Unbound);
    }

    [Fact]
    public void PoolDrawsSizesFromTheDistributionAndAdvancesThroughTheRows()
    {
        var table = CriteoTable(50);
        var pool = RequestPool.Build(Factory(table), new FixedCandidateCount(7), size: 4, seed: 1, withJsonBodies: false);

        Assert.Equal(4, pool.Count);
        Assert.Equal(7, pool.MeanCandidates);
        // Request 1 starts at row 7: I1 = 3 + 7.
        Assert.Equal(10f, pool.Items[1].Message.Candidates.Dense[0].Values[0]);
        Assert.Same(pool.Items[1], pool.Get(5));
        Assert.Null(pool.Items[0].JsonBody);
    }

    [Fact]
    public void PoolSizesFollowTheLogNormalAndStayCapped()
    {
        var pool = RequestPool.Build(Factory(CriteoTable(100)), CandidateCountDistribution.Default, size: 2000, seed: 5, withJsonBodies: false);
        Assert.All(pool.Items, r => Assert.InRange(r.CandidateCount, 1, 1024));
        Assert.All(pool.Items, r => Assert.Equal(r.CandidateCount, r.Message.CandidateCount));
        Assert.InRange(pool.MeanCandidates, 145, 185);
    }

    [Fact]
    public void RestBodiesAreTheRequestInProtobufJson()
    {
        var pool = RequestPool.Build(Factory(CriteoTable(10)), new FixedCandidateCount(2), size: 1, seed: 1, withJsonBodies: true);
        var json = System.Text.Encoding.UTF8.GetString(pool.Items[0].JsonBody!);
        var parsed = RankRequest.Parser.ParseJson(json);
        Assert.Equal(pool.Items[0].Message, parsed);
        Assert.Contains("\"candidateCount\": 2", json, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkloadReplaysAvazuColumnsByNameAgainstAModelConfig()
    {
        using var folder = new TempFolder();
        var data = folder.Write("avazu.csv", SyntheticData.AvazuFile(30));
        var config = folder.Write("config.json", SyntheticData.ModelConfig("avazu-dcn", [], ["site_id", "app_id", "device_model", "C21"], slo: 15));
        var options = new LoadOptions { Model = "avazu-dcn", ModelConfigPath = config, DataPath = data, PoolSize = 8, Candidates = new FixedCandidateCount(3) };

        var workload = WorkloadBuilder.Build(options);

        Assert.Equal(15, workload.ModelSloMs);
        Assert.Empty(workload.Notes);
        var request = workload.Pool.Items[0].Message;
        Assert.Equal(["site_id", "app_id", "device_model", "C21"], request.Candidates.Sparse.Select(c => c.Name));
        Assert.Equal(["s000000", "s000001", "s000002"], request.Candidates.Sparse[0].Values);
    }

    [Fact]
    public void WorkloadSynthesisesRowsFromTheModelConfigWhenNoDataIsGiven()
    {
        using var folder = new TempFolder();
        var config = folder.Write("config.json", SyntheticData.ModelConfig("criteo-deepfm", ["I1", "I2"], ["C1", "C2"]));
        var options = new LoadOptions { ModelConfigPath = config, PoolSize = 16, SyntheticRows = 64, Candidates = new FixedCandidateCount(5) };

        var workload = WorkloadBuilder.Build(options);

        var request = workload.Pool.Items[3].Message;
        Assert.Equal(5, request.CandidateCount);
        Assert.All(request.Candidates.Sparse.SelectMany(c => c.Values), v => Assert.Matches("^[0-9a-f]{8}$", v));
        Assert.All(request.Candidates.Dense.SelectMany(c => c.Values), v => Assert.True(v >= 0 && float.IsFinite(v)));
        Assert.StartsWith("synthetic", workload.Source, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkloadWithoutDataOrConfigExplainsWhatIsMissing()
    {
        var options = new LoadOptions { Model = "no-such-model-here" };
        var ex = Assert.Throws<ArgumentException>(() => WorkloadBuilder.Build(options));
        Assert.Contains("--data", ex.Message, StringComparison.Ordinal);
    }
}
