using Grpc.Core;
using Grpc.Net.Client;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.Benchmarks;

/// <summary>
/// <c>--call list</c>: ListModels instead of Rank over the same channel setup (a small request; the real transport floor is <c>--call floor</c>)
/// (gRPC over HTTP/2 with no features, no batching, no compute). The pooled request is ignored.
/// </summary>
internal sealed class ListModelsTransport : IRankTransport
{
    private readonly GrpcChannel _channel;
    private readonly RankingService.RankingServiceClient _client;

    public ListModelsTransport(Uri target)
    {
        _channel = GrpcChannels.Create(target);
        _client = new RankingService.RankingServiceClient(_channel);
    }

    public async Task<string> SendAsync(PooledRequest request, CancellationToken cancellationToken)
    {
        try
        {
            using var call = _client.ListModelsAsync(new ListModelsRequest(), cancellationToken: cancellationToken);
            await call.ResponseAsync.ConfigureAwait(false);
            return StatusLabels.Ok;
        }
        catch (RpcException ex)
        {
            return StatusLabels.ForGrpc(ex.StatusCode);
        }
    }

    public void Dispose() => _channel.Dispose();
}
