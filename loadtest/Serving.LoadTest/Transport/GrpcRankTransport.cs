using Grpc.Core;
using Grpc.Net.Client;
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
    private static readonly Method<PooledRequest, RankResponse> RankMethod = new(
        MethodType.Unary,
        RankingService.Descriptor.FullName,
        "Rank",
        Marshallers.Create<PooledRequest>(r => r.Protobuf, _ => throw new NotSupportedException("the load generator only sends requests")),
        Marshallers.Create(r => Google.Protobuf.MessageExtensions.ToByteArray(r), RankResponse.Parser.ParseFrom));

    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;
    private readonly TimeSpan? _deadline;
    private readonly IRankResponseObserver? _observer;

    /// <param name="target">The server's gRPC endpoint.</param>
    /// <param name="deadline">Per-call deadline; none when null.</param>
    /// <param name="observer">Sees every response that arrives (the probe's server timing); none when null.</param>
    public GrpcRankTransport(Uri target, TimeSpan? deadline, IRankResponseObserver? observer = null)
    {
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
            using var call = _invoker.AsyncUnaryCall(RankMethod, null, new CallOptions(deadline: deadline, cancellationToken: cancellationToken), request);
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
}
