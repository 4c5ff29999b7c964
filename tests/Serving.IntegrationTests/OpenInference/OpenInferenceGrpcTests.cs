using System.Text.Json;
using Grpc.Core;
using Serving.Contracts.Inference.V2;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests.OpenInference;

/// <summary>
/// The Open Inference Protocol (v2) over gRPC against the real server: health and metadata, and
/// ModelInfer, whose scores equal Rank's for the same rows, with typed and with raw contents, from
/// the C# client and from a Python client generated from the same .proto.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class OpenInferenceGrpcTests(ServerFixture server)
{
    private const string Model = "criteo-deepfm";

    private GRPCInferenceService.GRPCInferenceServiceClient Client => new(server.Channel);

    [Fact]
    public async Task Health_and_metadata_describe_the_server_and_each_feature_as_a_tensor()
    {
        Assert.True((await Client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await Client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await Client.ModelReadyAsync(new ModelReadyRequest { Name = Model })).Ready);
        Assert.True((await Client.ModelReadyAsync(new ModelReadyRequest { Name = Model, Version = "1" })).Ready);
        Assert.False((await Client.ModelReadyAsync(new ModelReadyRequest { Name = "no-such-model" })).Ready);
        Assert.Equal("serving", (await Client.ServerMetadataAsync(new ServerMetadataRequest())).Name);

        var metadata = await Client.ModelMetadataAsync(new ModelMetadataRequest { Name = Model });
        var spec = Requests.Spec(Model);
        Assert.Equal(Model, metadata.Name);
        Assert.Equal(["1"], metadata.Versions);
        Assert.Equal(spec.Features.Select(f => (f.Name, f.Kind == Models.FeatureKind.Sparse ? "BYTES" : "FP32")), metadata.Inputs.Select(i => (i.Name, i.Datatype)));
        var output = Assert.Single(metadata.Outputs);
        Assert.Equal(("ctr", "FP32", -1L), (output.Name, output.Datatype, output.Shape.Single()));
    }

    [Fact]
    public async Task Model_infer_scores_equal_ranks_with_typed_and_with_raw_contents()
    {
        var rank = Requests.Synthetic(Model, 37, seed: 61);
        var expected = (await server.Client.RankAsync(rank)).Scores.ToArray();

        var typed = await Client.ModelInferAsync(InferRequests.Typed(rank));
        var raw = await Client.ModelInferAsync(InferRequests.Raw(rank));

        Assert.Equal(expected, InferRequests.Scores(typed));
        Assert.Equal(expected, InferRequests.Scores(raw));
        Assert.Equal((Model, "1", rank.RequestId), (typed.ModelName, typed.ModelVersion, typed.Id));
        var reference = OnnxReference.Score(Model, rank);
        Assert.All(reference.Zip(expected), p => Assert.InRange(p.Second, p.First - 1e-5f, p.First + 1e-5f));
    }

    [Fact]
    public async Task A_one_element_tensor_beside_per_candidate_ones_is_context_for_every_candidate()
    {
        var rank = Requests.Synthetic(Model, 5, seed: 62);
        var shared = rank.Candidates.Sparse[0];
        for (var i = 1; i < shared.Values.Count; i++)
        {
            shared.Values[i] = shared.Values[0]; // every candidate has the first one's value
        }

        var expected = (await server.Client.RankAsync(rank)).Scores.ToArray();
        var request = InferRequests.Typed(rank);
        var tensor = request.Inputs.Single(t => t.Name == shared.Name);
        tensor.Shape[0] = 1;
        tensor.Contents.BytesContents.RemoveAt(4);
        tensor.Contents.BytesContents.RemoveAt(3);
        tensor.Contents.BytesContents.RemoveAt(2);
        tensor.Contents.BytesContents.RemoveAt(1);

        Assert.Equal(expected, InferRequests.Scores(await Client.ModelInferAsync(request)));
    }

    [Theory]
    [InlineData("unknown feature", "inputs[0] ('no_such_feature')")]
    [InlineData("wrong datatype", "inputs[0] ('C1').datatype")]
    [InlineData("wrong count", "inputs[1] ('C2')")]
    [InlineData("bad shape", "inputs[0] ('C1').shape")]
    [InlineData("unknown output", "outputs[0] ('probability')")]
    [InlineData("bad timeout", "parameters['timeout']")]
    public async Task Bad_tensors_are_invalid_argument_naming_the_tensor(string problem, string field)
    {
        var request = InferRequests.Typed(Requests.Synthetic(Model, 4, seed: 63));
        switch (problem)
        {
            case "unknown feature":
                request.Inputs[0].Name = "no_such_feature";
                break;
            case "wrong datatype":
                request.Inputs[0].Datatype = "FP32";
                break;
            case "wrong count":
                request.Inputs[1].Shape[0] = 3;
                request.Inputs[1].Contents.BytesContents.RemoveAt(0);
                break;
            case "bad shape":
                request.Inputs[0].Shape.Add(2);
                break;
            case "unknown output":
                request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "probability" });
                break;
            default:
                request.Parameters["timeout"] = new InferParameter { StringParam = "soon" };
                break;
        }

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations);
        Assert.Equal(field, violation.Field);
    }

    [Fact]
    public async Task An_unknown_model_is_not_found()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.ModelInferAsync(new ModelInferRequest { ModelName = "no-such-model" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Equal("model_not_found", ex.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
    }

    [Fact]
    public async Task A_python_client_generated_from_the_proto_gets_ranks_scores()
    {
        var rank = Requests.Synthetic(Model, 23, seed: 64);
        var expected = (await server.Client.RankAsync(rank)).Scores.ToArray();
        using var work = new TemporaryFolder();
        var protos = Path.Combine(RepositoryPaths.Root, "src", "Serving.Contracts", "Protos");
        ExternalProcess.Python(["-m", "grpc_tools.protoc", $"-I{protos}", $"--python_out={work.Path}", $"--grpc_python_out={work.Path}", "inference/grpc_predict_v2.proto"]);
        var spec = Path.Combine(work.Path, "request.json");
        await File.WriteAllTextAsync(spec, InferRequests.Json(rank));

        var output = ExternalProcess.Python([Path.Combine(RepositoryPaths.Root, "tests", "Serving.IntegrationTests", "OpenInference", "v2_client.py"), $"127.0.0.1:{server.GrpcPort}", work.Path, spec]);

        using var result = JsonDocument.Parse(output);
        var root = result.RootElement;
        Assert.True(root.GetProperty("live").GetBoolean());
        Assert.True(root.GetProperty("ready").GetBoolean());
        Assert.True(root.GetProperty("model_ready").GetBoolean());
        foreach (var kind in new[] { "typed", "raw" })
        {
            var answer = root.GetProperty(kind);
            Assert.Equal("ctr", answer.GetProperty("name").GetString());
            Assert.Equal(rank.RequestId, answer.GetProperty("id").GetString());
            Assert.Equal(expected, answer.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle()));
        }

        Assert.StartsWith("INVALID_ARGUMENT: inputs[0] ('no_such_feature')", root.GetProperty("bad_input").GetString(), StringComparison.Ordinal);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("serving-v2-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
