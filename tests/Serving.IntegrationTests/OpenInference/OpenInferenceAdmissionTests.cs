using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Serving.Admission;
using Serving.Contracts.Inference.V2;
using Serving.Contracts.Ranking.V1;
using Serving.IntegrationTests.Reliability;

namespace Serving.IntegrationTests.OpenInference;

/// <summary>ModelInfer passes the same admission gate as Rank: with the gate's only slot held, it is refused with the gate's reason.</summary>
public sealed class OpenInferenceAdmissionTests(SingleSlotServer fixture) : IClassFixture<SingleSlotServer>
{
    [Fact]
    public async Task Model_infer_is_refused_by_the_ingress_limit_like_rank_and_scored_once_the_slot_is_free()
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(fixture.Server.Channel);
        var request = InferRequests.Typed(Requests.Synthetic("criteo-deepfm", 3, seed: 65));
        var gate = fixture.Server.Services.GetRequiredService<AdmissionGate>();
        var ticket = gate.TryEnter(Priority.Normal);
        Assert.True(ticket.IsAdmitted);
        RpcException refused;
        try
        {
            refused = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(request).ResponseAsync);
        }
        finally
        {
            gate.Leave(ticket);
        }

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("ingress_limit", refused.GetRpcStatus()!.GetDetail<Google.Rpc.ErrorInfo>().Reason);
        Assert.Equal(3, InferRequests.Scores(await client.ModelInferAsync(request)).Length);
        Assert.Equal(0, gate.InFlight);
    }
}
