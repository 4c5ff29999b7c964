using Grpc.Core;
using Grpc.Net.Client;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Transport;

/// <summary>
/// gRPC client over one <see cref="GrpcChannel"/>. Multiple HTTP/2 connections are enabled so the
/// run is not capped by one connection's concurrent-stream limit (100 by default in Kestrel).
/// Requests go out as their pre-encoded bytes (<see cref="PooledRequest.Protobuf"/>): the wire
/// is the same as the generated client's, without serializing on every send.
/// </summary>
internal sealed class GrpcRankTransport : IRankTransport
{
    /// <summary>Rank with the request sent as its pre-encoded bytes (the probe of benchmarks/ calls it too).</summary>
    internal static readonly Method<PooledRequest, RankResponse> RankMethod = new(
        MethodType.Unary,
        RankingService.Descriptor.FullName,
        "Rank",
        Marshallers.Create<PooledRequest>(r => r.Protobuf, _ => throw new NotSupportedException("the load generator only sends requests")),
        Marshallers.Create(r => Google.Protobuf.MessageExtensions.ToByteArray(r), RankResponse.Parser.ParseFrom));

    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;
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
        _invoker = _channel.CreateCallInvoker();
        _deadline = deadline;
    }

    public async Task<string> SendAsync(PooledRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        DateTime? deadline = _deadline is { } d ? DateTime.UtcNow + d : null;
        try
        {
            using var call = _invoker.AsyncUnaryCall(RankMethod, null, new CallOptions(deadline: deadline, cancellationToken: cancellationToken), request);
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
