using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Serving.Admission;
using Serving.Contracts.Ranking.V1;
using Xunit.Abstractions;

namespace Serving.IntegrationTests.Reliability;

/// <summary>A server whose admission gate lets exactly one ranking call in at a time: the test takes that slot itself.</summary>
public sealed class SingleSlotServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:MinInFlightRequests"] = "1",
        ["Serving:MaxInFlightRequests"] = "1",
    };
}

/// <summary>
/// The ranking API's paths in odd forms (case, trailing and doubled slashes, an encoded colon,
/// unknown services and methods): each is scored or refused as a client error (404, 405,
/// UNIMPLEMENTED, ...), never a server error, health stays OK, and none that is scored gets past
/// the admission gate: with the gate's one slot held by the test, every variant that was scored is
/// refused (the issue found <c>:RANK</c>, <c>:Rank</c> and <c>:rank/</c> scored beside a limit that
/// counted only the exact path).
/// </summary>
public class PathVariantTests(SingleSlotServer fixture, ITestOutputHelper output) : IClassFixture<SingleSlotServer>
{
    private const string Model = "criteo-deepfm";
    private ServerFixture Server => fixture.Server;

    public static TheoryData<string, string> RestVariants => new()
    {
        { "POST", "/v1/models/criteo-deepfm:rank" },
        { "POST", "/v1/models/criteo-deepfm:RANK" },
        { "POST", "/v1/models/criteo-deepfm:Rank" },
        { "POST", "/v1/models/criteo-deepfm:rank/" },
        { "POST", "/v1/models/criteo-deepfm%3Arank" },
        { "POST", "/v1/models/criteo-deepfm%3arank" },
        { "POST", "/v1/models/criteo%2Ddeepfm:rank" },
        { "POST", "//v1/models/criteo-deepfm:rank" },
        { "POST", "/v1//models/criteo-deepfm:rank" },
        { "POST", "/v1/models//criteo-deepfm:rank" },
        { "POST", "/V1/MODELS/criteo-deepfm:rank" },
        { "POST", "/v1/models/criteo-deepfm:rank?candidateCount=3" },
        { "POST", "/v1/models/criteo-deepfm/../criteo-deepfm:rank" },
        { "POST", "/v1/models/criteo-deepfm::rank" },
        { "POST", "/v1/models/:rank" },
        { "POST", "/v1/models/criteo-deepfm/rank" },
        { "POST", "/v1/models/criteo-deepfm%2Frank:rank" },
        { "POST", "/v1/models/criteo-deepfm:rank%2F" },
        { "POST", "/v1/models/criteo-deepfm:ranks" },
        { "GET", "/v1/models/criteo-deepfm:rank" },
        { "PUT", "/v1/models/criteo-deepfm:rank" },
        { "POST", "/serving.ranking.v1.RankingService/Rank" },
    };

    [Theory]
    [MemberData(nameof(RestVariants))]
    public async Task A_rest_path_variant_is_scored_or_a_client_error_and_never_passes_the_gate_unseen(string method, string path)
    {
        var request = Requests.Synthetic(Model, 5, seed: 31);
        var json = JsonFormatter.Default.Format(new RankRequest(request) { Model = "" }); // the model comes from the path

        var (free, freeBody) = await RawHttp.SendAsync(Server.HttpPort, method, path, json);
        var (held, heldBody) = await WithTheOnlySlotTaken(() => RawHttp.SendAsync(Server.HttpPort, method, path, json));
        output.WriteLine($"{method} {path}: {free} ({Shorten(freeBody)}); with the slot taken: {held} ({Shorten(heldBody)})");

        Assert.InRange(free, 200, 499);
        Assert.InRange(held, 200, 499);
        if (free == 200)
        {
            var expected = OnnxReference.Score(Model, request);
            var scores = JsonParser.Default.Parse<RankResponse>(freeBody).Scores;
            Assert.Equal(expected.Length, scores.Count);
            Assert.All(expected.Zip(scores), p => Assert.InRange(p.Second, p.First - 1e-5f, p.First + 1e-5f));
            Assert.Equal(429, held); // scored, so it is a ranking call: the gate must see it
            Assert.Contains("ingress_limit", heldBody, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(held == free || held == 429, $"without a slot: {held}, with one: {free}");
        }

        await AssertHealthy();
    }

    public static TheoryData<string, string> GrpcVariants => new()
    {
        { "serving.ranking.v1.RankingService", "Rank" },
        { "serving.ranking.v1.RankingService", "rank" },
        { "serving.ranking.v1.RankingService", "RANK" },
        { "Serving.Ranking.V1.RankingService", "Rank" },
        { "SERVING.RANKING.V1.RANKINGSERVICE", "RANK" },
        { "serving.ranking.v1.rankingservice", "rank" },
        { "serving.ranking.v1.RankingService", "Rank/" },
        { "serving.ranking.v1.RankingService/", "Rank" },
        { "serving.ranking.v1.RankingService", "Rank:rank" },
        { "serving.ranking.v1.RankingServiceV2", "Rank" },
        { "serving.ranking.v1.RankingService", "Score" },
        { "serving.ranking.v2.RankingService", "Rank" },
        { "serving.ranking.v1.RankingService", "ListModels" },
        { "serving.ranking.v1.RankingService", "listmodels" },
        { "serving.admin.v1.ModelControlService", "LoadVersion" },
    };

    [Theory]
    [MemberData(nameof(GrpcVariants))]
    public async Task A_grpc_method_path_variant_is_answered_or_unimplemented_and_never_passes_the_gate_unseen(string service, string name)
    {
        var request = Requests.Synthetic(Model, 5, seed: 32);
        var method = new Method<byte[], byte[]>(MethodType.Unary, service, name, Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        var invoker = Server.Channel.CreateCallInvoker();
        Task<(StatusCode, byte[]?, string)> Call() => Outcome(invoker.AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), request.ToByteArray()).ResponseAsync);

        var (free, answer, freeDetail) = await Call();
        var (held, _, heldDetail) = await WithTheOnlySlotTaken(Call);
        output.WriteLine($"/{service}/{name}: {free} ({freeDetail}); with the slot taken: {held} ({heldDetail})");

        Assert.Contains(free, new[] { StatusCode.OK, StatusCode.Unimplemented });
        Assert.Contains(held, new[] { StatusCode.OK, StatusCode.Unimplemented, StatusCode.ResourceExhausted });
        if (free == StatusCode.OK)
        {
            // Answered by the ranking service: a ranking call, which the gate must see.
            Assert.Equal(StatusCode.ResourceExhausted, held);
            Assert.StartsWith("ingress_limit", heldDetail, StringComparison.Ordinal);
            if (name.Equals("Rank", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Rank/", StringComparison.OrdinalIgnoreCase))
            {
                var expected = OnnxReference.Score(Model, request);
                var scores = RankResponse.Parser.ParseFrom(answer).Scores;
                Assert.All(expected.Zip(scores), p => Assert.InRange(p.Second, p.First - 1e-5f, p.First + 1e-5f));
            }
        }
        else
        {
            Assert.Equal(StatusCode.Unimplemented, held);
        }

        await AssertHealthy();
    }

    private static async Task<(StatusCode Status, byte[]? Answer, string Detail)> Outcome(Task<byte[]> call)
    {
        try
        {
            return (StatusCode.OK, await call, "");
        }
        catch (RpcException ex)
        {
            return (ex.StatusCode, null, ex.Status.Detail);
        }
    }

    /// <summary>Runs <paramref name="call"/> while the test holds the gate's only slot, as a call in flight would.</summary>
    private async Task<T> WithTheOnlySlotTaken<T>(Func<Task<T>> call)
    {
        var gate = Server.Services.GetRequiredService<AdmissionGate>();
        Assert.Equal(1, gate.Limit);
        var ticket = gate.TryEnter(Priority.Normal);
        Assert.True(ticket.IsAdmitted, "the slot is free before the test takes it");
        try
        {
            return await call();
        }
        finally
        {
            gate.Leave(ticket);
        }
    }

    private async Task AssertHealthy()
    {
        using var healthz = await Server.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        var health = await new Health.HealthClient(Server.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal(0, Server.Services.GetRequiredService<AdmissionGate>().InFlight);
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + "...";
}
