using Grpc.Core;
using Grpc.Net.Client;
using Serving.Contracts;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Transport;

/// <summary>
/// gRPC client over one <see cref="GrpcChannel"/> (<see cref="GrpcChannels.Create"/>).
/// Requests go out as their pre-encoded bytes (<see cref="PooledRequest.Protobuf"/>): the wire
/// is the same as the generated client's, without serializing on every send.
/// </summary>
internal sealed class GrpcRankTransport : IRankTransport
{
    /// <summary>Rank with the request sent as its pre-encoded bytes.</summary>
    private static readonly Method<PooledRequest, RankResponse> RankMethod = Create(RankingService.Descriptor.FullName, "Rank");

    /// <summary>The benchmark-only transport floor, sent exactly the bytes Rank would get.</summary>
    private static readonly Method<PooledRequest, RankResponse> FloorMethod = Create(TransportFloorMethod.ServiceName, TransportFloorMethod.Name);

    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;
    private readonly TimeSpan? _deadline;
    private readonly IRankResponseObserver? _observer;
    private readonly Method<PooledRequest, RankResponse> _method;

    /// <param name="target">The server's gRPC endpoint.</param>
    /// <param name="deadline">Per-call deadline; none when null.</param>
    /// <param name="observer">Sees every response that arrives (the probe's server timing); none when null.</param>
    /// <param name="method">Rank (default) or the transport floor.</param>
    public GrpcRankTransport(Uri target, TimeSpan? deadline, IRankResponseObserver? observer = null, GrpcMethod method = GrpcMethod.Rank)
    {
        _method = method == GrpcMethod.Floor ? FloorMethod : RankMethod;
        _channel = GrpcChannels.Create(target);
        _invoker = _channel.CreateCallInvoker();
        _deadline = deadline;
        _observer = observer;
    }

    public async Task<string> SendAsync(PooledRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        DateTime? deadline = _deadline is { } d ? DateTime.UtcNow + d : null;
        try
        {
            using var call = _invoker.AsyncUnaryCall(_method, null, new CallOptions(deadline: deadline, cancellationToken: cancellationToken), request);
            var response = await call.ResponseAsync.ConfigureAwait(false);
            _observer?.OnResponse(request, response);
            return response.Scores.Count == request.CandidateCount ? StatusLabels.Ok : StatusLabels.BadResponse;
        }
        catch (RpcException ex)
        {
            return StatusLabels.ForGrpc(ex.StatusCode);
        }
    }

    public void Dispose() => _channel.Dispose();

    /// <summary>The full gRPC path of <paramref name="method"/> (what the server routes on).</summary>
    internal static string PathOf(GrpcMethod method) => (method == GrpcMethod.Floor ? FloorMethod : RankMethod).FullName;

    private static Method<PooledRequest, RankResponse> Create(string service, string name) => new(
        MethodType.Unary,
        service,
        name,
        Marshallers.Create<PooledRequest>(r => r.Protobuf, _ => throw new NotSupportedException("the load generator only sends requests")),
        Marshallers.Create(r => Google.Protobuf.MessageExtensions.ToByteArray(r), RankResponse.Parser.ParseFrom));
}
