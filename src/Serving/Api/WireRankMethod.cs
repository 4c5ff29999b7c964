using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;

namespace Serving.Api;

/// <summary>
/// gRPC Rank with the request left in its wire bytes (<see cref="WireRankRequest"/>): the same
/// route and messages as the generated method, but the payload is copied, not parsed into a
/// <see cref="RankRequest"/> with a .NET string per categorical value (2.3 KB allocated and ~1.4 µs
/// per 10 values). <see cref="Provider"/> adds it to <see cref="RankingGrpcService"/>;
/// <see cref="PreferOverGenerated"/> lets it win the route over the generated binding, which
/// JSON transcoding (REST) still uses.
/// </summary>
internal static class WireRankMethod
{
    public static readonly Method<WireRankRequest, RankResponse> Method = new(
        MethodType.Unary,
        RankingService.Descriptor.FullName,
        "Rank",
        Marshallers.Create<WireRankRequest>(
            static (_, _) => throw new NotSupportedException("the server never sends a WireRankRequest"),
            static context => WireRankRequest.Read(context.PayloadAsReadOnlySequence())),
        Marshallers.Create<RankResponse>(
            static (response, context) =>
            {
                context.SetPayloadLength(response.CalculateSize());
                response.WriteTo(context.GetBufferWriter());
                context.Complete();
            },
            static context => RankResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

    /// <summary>
    /// Endpoint convention for <c>MapGrpcService&lt;RankingGrpcService&gt;()</c>: the generated
    /// binding maps gRPC Rank on the same route as <see cref="Method"/>; a higher order makes it
    /// the loser of the match, so every gRPC Rank call takes the wire path.
    /// </summary>
    public static void PreferOverGenerated(EndpointBuilder builder)
    {
        if (builder is RouteEndpointBuilder route
            && route.RoutePattern.RawText == Method.FullName
            && route.Metadata.OfType<GrpcMethodMetadata>().Any(m => m.Method is Method<RankRequest, RankResponse>))
        {
            route.Order = 1;
        }
    }

    /// <summary>Adds <see cref="Method"/> to the service's gRPC endpoints.</summary>
    internal sealed class Provider : IServiceMethodProvider<RankingGrpcService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<RankingGrpcService> context) =>
            context.AddUnaryMethod(Method, [], static (service, request, call) => service.RankFromWire(request, call));
    }
}
