using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

[Collection(SharedServer.Name)]
public class RankTests(ServerFixture server)
{
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData("criteo-deepfm")]
    [InlineData("avazu-dcn")]
    [InlineData("criteo-deepfm-xl")]
    public async Task Torch_fixture_scores_match_through_grpc(string model)
    {
        var (request, expected) = Requests.Fixture(model);

        var response = await server.Client.RankAsync(request);

        AssertClose(expected, response.Scores);
        Assert.Equal(model, response.Model);
        Assert.Equal("1", response.Version);
    }

    [Theory]
    [InlineData("criteo-deepfm", 1)]
    [InlineData("criteo-deepfm", 165)]
    [InlineData("avazu-dcn", 300)]
    [InlineData("criteo-deepfm", 2500)]
    [InlineData("criteo-deepfm-xl", 1024)]
    public async Task Scores_equal_onnx_runtime_called_directly(string model, int candidates)
    {
        var request = Requests.Synthetic(model, candidates, seed: candidates);

        var response = await server.Client.RankAsync(request);

        AssertClose(OnnxReference.Score(model, request), response.Scores);
        Assert.Equal(request.RequestId, response.RequestId);
        Assert.Equal("cpu", response.Timing.Device);
        Assert.InRange(response.Timing.BatchRows, 1, 1024);
        Assert.True(response.Timing.ComputeMs > 0);
    }

    [Fact]
    public async Task Rest_and_grpc_return_identical_scores()
    {
        var request = Requests.Synthetic("criteo-deepfm", 50, seed: 3);
        var grpc = await server.Client.RankAsync(request);

        var body = JsonFormatter.Default.Format(request);
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var http = await server.Http.PostAsync("/v1/models/criteo-deepfm:rank", content);
        var json = await http.Content.ReadAsStringAsync();

        Assert.True(http.IsSuccessStatusCode, json);
        var rest = JsonParser.Default.Parse<RankResponse>(json);
        Assert.Equal(grpc.Scores, rest.Scores);
        Assert.Contains("\"NaN\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Context_column_gives_the_same_scores_as_repeating_its_value()
    {
        var repeated = Requests.Synthetic("criteo-deepfm", 40, seed: 9);
        var withContext = repeated.Clone();
        withContext.Candidates.Sparse.RemoveAt(withContext.Candidates.Sparse.IndexOf(withContext.Candidates.Sparse.First(c => c.Name == "C1")));
        withContext.Candidates.Dense.RemoveAt(withContext.Candidates.Dense.IndexOf(withContext.Candidates.Dense.First(c => c.Name == "I1")));
        withContext.Context = new RequestFeatures();
        withContext.Context.Sparse.Add(new SparseColumn { Name = "C1", Values = { "68fd1e64" } });
        withContext.Context.Dense.Add(new DenseColumn { Name = "I1", Values = { 7f } });
        var c1 = repeated.Candidates.Sparse.First(c => c.Name == "C1");
        var i1 = repeated.Candidates.Dense.First(c => c.Name == "I1");
        for (var i = 0; i < 40; i++)
        {
            c1.Values[i] = "68fd1e64";
            i1.Values[i] = 7f;
        }

        var a = await server.Client.RankAsync(withContext);
        var b = await server.Client.RankAsync(repeated);

        Assert.Equal(b.Scores, a.Scores);
    }

    [Theory]
    [InlineData("avazu-dcn")]
    [InlineData("criteo-deepfm")]
    [InlineData("criteo-deepfm-xl")]
    public async Task Missing_features_take_defaults_and_still_score(string model)
    {
        var request = new RankRequest { Model = model, CandidateCount = 3 };

        var response = await server.Client.RankAsync(request);

        AssertClose(OnnxReference.ScoreDefaults(model, 3), response.Scores);
    }

    [Fact]
    public async Task List_and_get_models_describe_every_shipped_model_over_grpc_and_rest()
    {
        var list = await server.Client.ListModelsAsync(new ListModelsRequest());
        Assert.Equal(["avazu-dcn", "criteo-deepfm", "criteo-deepfm-xl"], list.Models.Select(m => m.Name));
        var criteo = await server.Client.GetModelAsync(new GetModelRequest { Model = "criteo-deepfm" });
        Assert.Equal(39, criteo.Features.Count);
        // Ready is false for a model with no live version (Lifecycle tests); here v1 serves.
        Assert.True(criteo.Ready);
        var status = Assert.Single(criteo.VersionStatus);
        Assert.Equal(("1", VersionState.Available), (status.Version, status.State));
        Assert.True(criteo.Quality.HoldoutAuc >= 0.72, $"recorded AUC {criteo.Quality.HoldoutAuc}");
        Assert.Equal(FeatureKind.Dense, criteo.Features.Single(f => f.Name == "I5").Kind);

        using var rest = await server.Http.GetAsync("/v1/models/criteo-deepfm");
        var restInfo = JsonParser.Default.Parse<ModelInfo>(await rest.Content.ReadAsStringAsync());
        Assert.Equal(criteo, restInfo);
        var restList = await server.Http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal(3, restList.GetProperty("models").GetArrayLength());
    }

    private static void AssertClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= Tolerance, $"score {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
