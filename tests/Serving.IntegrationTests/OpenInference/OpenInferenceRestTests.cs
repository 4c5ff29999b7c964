using System.Net;
using System.Text;
using System.Text.Json;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests.OpenInference;

/// <summary>The Open Inference Protocol (v2) over HTTP/JSON against the real server: health, metadata and infer, whose scores equal Rank's.</summary>
[Collection(SharedServer.Name)]
public sealed class OpenInferenceRestTests(ServerFixture server)
{
    private const string Model = "criteo-deepfm";

    [Fact]
    public async Task Health_and_metadata_answer_as_the_protocol_says()
    {
        Assert.True((await Get("/v2/health/live")).GetProperty("live").GetBoolean());
        Assert.True((await Get("/v2/health/ready")).GetProperty("ready").GetBoolean());
        Assert.True((await Get($"/v2/models/{Model}/ready")).GetProperty("ready").GetBoolean());
        Assert.Equal("serving", (await Get("/v2")).GetProperty("name").GetString());

        var metadata = await Get($"/v2/models/{Model}/versions/1");
        Assert.Equal(Model, metadata.GetProperty("name").GetString());
        Assert.Equal(Requests.Spec(Model).Features.Count, metadata.GetProperty("inputs").GetArrayLength());
        var output = metadata.GetProperty("outputs")[0];
        Assert.Equal(("ctr", "FP32", -1), (output.GetProperty("name").GetString(), output.GetProperty("datatype").GetString(), output.GetProperty("shape")[0].GetInt32()));

        using var unknown = await server.Http.GetAsync("/v2/models/no-such-model");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no-such-model", (await unknown.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        using var notReady = await server.Http.GetAsync("/v2/models/no-such-model/ready");
        Assert.Equal(HttpStatusCode.BadRequest, notReady.StatusCode);
    }

    [Theory]
    [InlineData("/v2/models/criteo-deepfm/infer")]
    [InlineData("/v2/models/criteo-deepfm/versions/1/infer")]
    public async Task Infer_scores_equal_ranks_for_the_same_rows(string path)
    {
        var rank = Requests.Synthetic(Model, 19, seed: 71);
        var expected = (await server.Client.RankAsync(rank)).Scores.ToArray();

        using var response = await server.Http.PostAsync(path, new StringContent(InferRequests.RestBody(rank), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal((Model, "1", rank.RequestId), (root.GetProperty("model_name").GetString(), root.GetProperty("model_version").GetString(), root.GetProperty("id").GetString()));
        var output = root.GetProperty("outputs")[0];
        Assert.Equal("ctr", output.GetProperty("name").GetString());
        Assert.Equal(19, output.GetProperty("shape")[0].GetInt32());
        Assert.Equal(expected, output.GetProperty("data").EnumerateArray().Select(s => s.GetSingle()));
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "nope", "shape": [1], "datatype": "FP32", "data": [1]}]}""", "inputs[0] ('nope')")]
    [InlineData("""{"inputs": [{"name": "C1", "shape": [1], "datatype": "BYTES", "data": [7]}]}""", "inputs[0] ('C1').data")]
    [InlineData("""{"inputs": [{"name": "C1", "datatype": "BYTES", "data": ["a"]}]}""", "inputs[0] ('C1').shape")]
    [InlineData("""{"inputs": 3}""", "inputs")]
    [InlineData("""{"inputs": [""", "body")]
    public async Task Bad_bodies_are_400_naming_the_field(string body, string field)
    {
        using var response = await server.Http.PostAsync($"/v2/models/{Model}/infer", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith(field, json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private async Task<JsonElement> Get(string path)
    {
        using var response = await server.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
