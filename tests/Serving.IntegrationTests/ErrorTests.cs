using System.Net;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

[Collection(SharedServer.Name)]
public class ErrorTests(ServerFixture server)
{
    [Fact]
    public async Task Unknown_model_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.RankAsync(new RankRequest { Model = "nope", CandidateCount = 1 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("'nope'", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_version_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.RankAsync(new RankRequest { Model = "avazu-dcn", Version = "9", CandidateCount = 1 }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("no live version or label '9'", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("model")]
    [InlineData("version")]
    public async Task A_huge_unknown_name_is_quoted_cut_short_and_breaks_no_connection(string field)
    {
        // Quoted whole, a 64 KB name made the status trailers larger than the client accepts, and
        // the client dropped the HTTP/2 connection with every call in flight on it (found by fuzzing).
        var huge = new string('x', 65_536);
        var request = field == "model"
            ? new RankRequest { Model = huge, CandidateCount = 1 }
            : new RankRequest { Model = "avazu-dcn", Version = huge, CandidateCount = 1 };
        var bystander = server.Client.RankAsync(Requests.Synthetic("criteo-deepfm", 20, seed: 77)).ResponseAsync;

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.RankAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("(65536 characters)", ex.Status.Detail, StringComparison.Ordinal);
        Assert.True(ex.Status.Detail.Length < 1000, ex.Status.Detail.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(20, (await bystander).Scores.Count);
    }

    [Theory]
    [InlineData("unknown-feature", "candidates.sparse[0].name")]
    [InlineData("count-mismatch", "candidates.dense[0] ('I1').values")]
    [InlineData("too-many", "candidate_count")]
    [InlineData("no-model", "model")]
    [InlineData("bad-priority", "priority")]
    public async Task Bad_input_is_invalid_argument_naming_the_field(string kind, string field)
    {
        var request = new RankRequest { Model = "criteo-deepfm", CandidateCount = 2, Candidates = new RequestFeatures() };
        switch (kind)
        {
            case "unknown-feature": request.Candidates.Sparse.Add(new SparseColumn { Name = "C99", Values = { "a", "b" } }); break;
            case "count-mismatch": request.Candidates.Dense.Add(new DenseColumn { Name = "I1", Values = { 1f } }); break;
            case "too-many": request.CandidateCount = 5000; break;
            case "no-model": request.Model = ""; break;
            case "bad-priority": request.Priority = (Priority)42; break;
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.RankAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + ":", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(field, ex.Trailers.GetValue("field"));
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations);
        Assert.Equal(field, violation.Field);
        Assert.Equal(ex.Status.Detail, $"{violation.Field}: {violation.Description}");
        Assert.Equal("invalid_argument", ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        await AssertStillServing();
    }

    [Fact]
    public async Task Rest_maps_errors_to_http_statuses()
    {
        using var unknownModel = await PostJson("/v1/models/nope:rank", """{"candidateCount": 1}""");
        Assert.Equal(HttpStatusCode.NotFound, unknownModel.StatusCode);

        using var badFeature = await PostJson("/v1/models/criteo-deepfm:rank", """{"candidateCount": 1, "candidates": {"dense": [{"name": "Z", "values": [1]}]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, badFeature.StatusCode);
        var badFeatureBody = System.Text.Json.JsonDocument.Parse(await badFeature.Content.ReadAsStringAsync()).RootElement;
        var violation = badFeatureBody.GetProperty("details").EnumerateArray()
            .Single(d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.BadRequest")
            .GetProperty("fieldViolations")[0];
        Assert.Equal("candidates.dense[0].name", violation.GetProperty("field").GetString());
        Assert.Contains("unknown feature 'Z'", violation.GetProperty("description").GetString(), StringComparison.Ordinal);

        using var malformed = await PostJson("/v1/models/criteo-deepfm:rank", """{"candidateCount": "lots" """);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        using var wrongType = await PostJson("/v1/models/criteo-deepfm:rank", """{"candidateCount": 1, "candidates": {"dense": [{"name": "I1", "values": ["x"]}]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);

        await AssertStillServing();
    }

    [Fact]
    public async Task Oversized_grpc_message_is_refused_and_the_server_keeps_serving()
    {
        var request = new RankRequest { Model = "criteo-deepfm", CandidateCount = 1, Candidates = new RequestFeatures() };
        request.Candidates.Sparse.Add(new SparseColumn { Name = "C1", Values = { new string('x', 17 * 1024 * 1024) } });

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.RankAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        await AssertStillServing();
    }

    /// <summary>
    /// Bytes no protobuf library would write, sent as gRPC Rank: the server reads the wire format
    /// itself (no string per value), so it must name the field where Google.Protobuf would only
    /// have failed the parse.
    /// </summary>
    [Theory]
    [InlineData("bad-utf8", "candidates.sparse[0] ('C1').values[1]")]
    [InlineData("truncated", "request")]
    public async Task Malformed_grpc_bytes_are_invalid_argument_naming_the_field(string kind, string field)
    {
        var request = new RankRequest { Model = "criteo-deepfm", CandidateCount = 2, Candidates = new RequestFeatures() };
        request.Candidates.Sparse.Add(new SparseColumn { Name = "C1", Values = { "68fd1e64", "\u00e9" } });
        var bytes = request.ToByteArray();
        if (kind == "bad-utf8")
        {
            var at = bytes.AsSpan().IndexOf("\u00e9"u8);
            bytes[at] = 0xC3; // "é" is C3 A9; C3 28 is not UTF-8
            bytes[at + 1] = 0x28;
        }
        else
        {
            bytes = bytes[..^4];
        }

        var raw = new Method<byte[], byte[]>(
            MethodType.Unary, "serving.ranking.v1.RankingService", "Rank",
            Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Channel.CreateCallInvoker().AsyncUnaryCall(raw, null, default, bytes).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith(field + ":", ex.Status.Detail, StringComparison.Ordinal);
        await AssertStillServing();
    }

    private async Task<HttpResponseMessage> PostJson(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        return await server.Http.PostAsync(path, content);
    }

    private async Task AssertStillServing()
    {
        var ok = await server.Client.RankAsync(Requests.Synthetic("avazu-dcn", 5, seed: 1));
        Assert.Equal(5, ok.Scores.Count);
    }
}
