using System.Buffers;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.Extensions.Options;
using Serving.Contracts;
using Serving.Contracts.Ranking.V1;

namespace Serving.Api.TransportFloor;

/// <summary>
/// The transport floor (benchmark only, <see cref="BenchmarkOptions.TransportFloor"/>): what a
/// Rank call costs the server with no work in it. Same listener, HTTP/2 settings, message limits
/// and interceptors as Rank (its path is under Rank's service, so the admission gate admits it
/// like a Rank call; the metrics interceptor does not count it, as it names no model). The request
/// is read by <see cref="CandidateCountScan"/> only, and the response is a <see cref="RankResponse"/>
/// with that many zero scores, written by Rank's own response marshaller.
/// </summary>
internal sealed class TransportFloorService(IOptions<ApiOptions> options)
{
    public static readonly Method<FloorRequest, RankResponse> Method = new(
        MethodType.Unary,
        TransportFloorMethod.ServiceName,
        TransportFloorMethod.Name,
        Marshallers.Create<FloorRequest>(
            static (_, _) => throw new NotSupportedException("the server never sends a floor request"),
            static context => FloorRequest.Read(context.PayloadAsReadOnlySequence())),
        WireRankMethod.Method.ResponseMarshaller);

    private readonly int _maxCandidates = options.Value.MaxCandidatesPerRequest;

    public Task<RankResponse> Answer(FloorRequest request, ServerCallContext context)
    {
        if (request.Problem is { } problem)
        {
            throw RpcErrors.InvalidArgument("request", problem);
        }

        if (request.CandidateCount < 1 || request.CandidateCount > _maxCandidates)
        {
            throw RpcErrors.InvalidArgument("candidate_count", $"must be 1 … {_maxCandidates}, got {request.CandidateCount}");
        }

        // A new array per answer, as Rank's scores are: the copy into the response is the same.
        var response = new RankResponse();
        response.Scores.Add(new float[request.CandidateCount]);
        return Task.FromResult(response);
    }

    /// <summary>Adds <see cref="Method"/> to the service's endpoints (mapped only when the setting is on).</summary>
    internal sealed class Provider : IServiceMethodProvider<TransportFloorService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TransportFloorService> context) =>
            context.AddUnaryMethod(Method, [], static (service, request, call) => service.Answer(request, call));
    }
}

/// <summary>What the transport floor read of a Rank request: its candidate count, or why it could not.</summary>
internal sealed record FloorRequest(int CandidateCount, string? Problem)
{
    public static FloorRequest Read(ReadOnlySequence<byte> payload)
    {
        var (count, problem) = CandidateCountScan.Read(payload);
        return new FloorRequest(count, problem);
    }
}
