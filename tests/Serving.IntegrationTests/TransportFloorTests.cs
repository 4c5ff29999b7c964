using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.Contracts;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

/// <summary>
/// The benchmark-only transport floor over a real socket: with <c>Serving:Benchmark:TransportFloor</c>
/// on, a Rank request's bytes sent to it come back as candidate_count zero scores; off (the
/// default, the shared server), the method is not mapped: UNIMPLEMENTED.
/// </summary>
public sealed class TransportFloorTests : IAsyncLifetime
{
    private static readonly Method<RankRequest, RankResponse> Floor = new(
        MethodType.Unary,
        TransportFloorMethod.ServiceName,
        TransportFloorMethod.Name,
        Marshallers.Create<RankRequest>(r => r.ToByteArray(), RankRequest.Parser.ParseFrom),
        Marshallers.Create<RankResponse>(r => r.ToByteArray(), RankResponse.Parser.ParseFrom));

    private readonly ServerFixture _on = new() { Settings = { ["Serving:Benchmark:TransportFloor"] = "true" } };
    private readonly ServerFixture _off = new();

    public async Task InitializeAsync()
    {
        await _on.InitializeAsync();
        await _off.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _on.DisposeAsync();
        await _off.DisposeAsync();
    }

    [Fact]
    public async Task With_the_switch_on_a_rank_request_to_the_floor_returns_one_zero_score_per_candidate()
    {
        var request = Requests.Synthetic("criteo-deepfm", 37, seed: 3);

        var response = await Call(_on.Channel, request);

        Assert.Equal(37, response.Scores.Count);
        Assert.All(response.Scores, s => Assert.Equal(0f, s));
    }

    [Fact]
    public async Task With_the_switch_on_rank_still_scores_and_the_floor_refuses_a_count_beyond_the_limit()
    {
        var request = Requests.Synthetic("criteo-deepfm", 5, seed: 4);
        var ranked = await _on.Client.RankAsync(request);
        request.CandidateCount = 5000; // above Serving:MaxCandidatesPerRequest (4,096)

        var ex = await Assert.ThrowsAsync<RpcException>(() => Call(_on.Channel, request));

        Assert.Equal(5, ranked.Scores.Count);
        Assert.Contains(ranked.Scores, s => s != 0f);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task With_the_switch_off_the_floor_is_not_mapped()
    {
        var request = Requests.Synthetic("criteo-deepfm", 3, seed: 5);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Call(_off.Channel, request));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    private static async Task<RankResponse> Call(GrpcChannel channel, RankRequest request)
    {
        using var call = channel.CreateCallInvoker().AsyncUnaryCall(Floor, null, default, request);
        return await call.ResponseAsync;
    }
}
