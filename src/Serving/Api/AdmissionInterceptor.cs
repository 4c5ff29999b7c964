using Grpc.Core;
using Grpc.Core.Interceptors;
using Serving.Admission;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Api;

/// <summary>
/// Passes every ranking API call (gRPC, and REST through transcoding) through the one
/// <see cref="AdmissionGate"/>, with the priority the call asked for; a refused call ends at once
/// with RESOURCE_EXHAUSTED (UNAVAILABLE while draining) and its reason. Health and reflection calls
/// are not gated.
/// </summary>
internal sealed class AdmissionInterceptor(AdmissionGate gate, ModelRegistry registry, ServingMetrics metrics) : Interceptor
{
    private static readonly string RankingPrefix = $"/{RankingService.Descriptor.FullName}/";
    private static readonly string ModelInferMethod = $"/{Contracts.Inference.V2.GRPCInferenceService.Descriptor.FullName}/ModelInfer";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        // Routing matches paths case-insensitively, so the gate does too.
        if (!context.Method.StartsWith(RankingPrefix, StringComparison.OrdinalIgnoreCase)
            && !context.Method.Equals(ModelInferMethod, StringComparison.OrdinalIgnoreCase))
        {
            return await continuation(request, context).ConfigureAwait(false);
        }

        var ticket = gate.TryEnter(PriorityOf(request));
        if (!ticket.IsAdmitted)
        {
            var model = ModelOf(request); // read before the wire buffer is returned
            (request as IDisposable)?.Dispose(); // a gRPC Rank's pooled wire buffer goes back now: the service never sees it
            var refused = Refused(metrics, registry, model, ticket);
            return RpcErrors.IsGrpc(context) ? RpcErrors.Answer<TResponse>(context, refused) : throw refused;
        }

        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        finally
        {
            gate.Leave(ticket);
        }
    }

    /// <summary>
    /// A call the gate refused: counted in <c>serving_ingress_rejections_total</c> and, for a scoring
    /// call, in <c>serving_rejections_total</c> and the allocator's miss count like the batcher's
    /// refusals; returns the error to answer with. The Open Inference REST API refuses through here too.
    /// </summary>
    internal static RpcException Refused(ServingMetrics metrics, ModelRegistry registry, string? model, AdmissionTicket ticket)
    {
        metrics.IngressRejections.Inc();
        if (model is not null)
        {
            metrics.RecordRejection(registry.Find(model)?.Name ?? "unknown", ticket.RefusalReason!);
        }

        return RpcErrors.Refused(ticket.RefusalReason!, ticket.Message!);
    }

    /// <summary>The model a Rank call named; null for other calls.</summary>
    private static string? ModelOf(object? request) => request switch
    {
        WireRankRequest wire => wire.Model,
        RankRequest parsed => parsed.Model,
        Contracts.Inference.V2.ModelInferRequest infer => infer.ModelName,
        _ => null,
    };

    /// <summary>The priority a Rank call asked for (an unknown value is refused later, naming the field); normal for other calls.</summary>
    private static Priority PriorityOf(object? request) => request switch
    {
        WireRankRequest wire => wire.Priority,
        RankRequest parsed => parsed.Priority,
        Contracts.Inference.V2.ModelInferRequest infer => OpenInference.InferRequestMapping.PriorityOrNormal(infer),
        _ => Priority.Normal,
    };
}
