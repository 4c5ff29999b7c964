using Grpc.Core;
using Grpc.Net.Client;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Transport;

/// <summary>
/// gRPC client over one <see cref="GrpcChannel"/>. Multiple HTTP/2 connections are enabled so the
/// run is not capped by one connection's concurrent-stream limit (100 by default in Kestrel).
/// </summary>
internal sealed class GrpcRankTransport : IRankTransport
{
    private readonly GrpcChannel _channel;
    private readonly RankingService.RankingServiceClient _client;
    private readonly TimeSpan? _deadline;

    public GrpcRankTransport(Uri target, TimeSpan? deadline)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        _channel = GrpcChannel.ForAddress(target, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
        });
        _client = new RankingService.RankingServiceClient(_channel);
        _deadline = deadline;
    }

    public async Task<string> SendAsync(PooledRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        DateTime? deadline = _deadline is { } d ? DateTime.UtcNow + d : null;
        try
        {
            using var call = _client.RankAsync(request.Message, deadline: deadline, cancellationToken: cancellationToken);
            var response = await call.ResponseAsync.ConfigureAwait(false);
            return response.Scores.Count == request.CandidateCount ? StatusLabels.Ok : StatusLabels.BadResponse;
        }
        catch (RpcException ex)
        {
            return StatusLabels.ForGrpc(ex.StatusCode);
        }
    }

    public void Dispose() => _channel.Dispose();
}
