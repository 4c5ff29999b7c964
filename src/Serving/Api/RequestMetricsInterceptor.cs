using Grpc.Core;
using Google.Rpc;
using Status = Grpc.Core.Status;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Api;

/// <summary>
/// The outermost interceptor: counts every Rank call by model, version and final status (refusals
/// at the admission gate included), and turns anything unexpected into an INTERNAL status with a
/// logged cause, so no exception escapes to the transport. A refused REST call also gets a
/// <c>Retry-After</c> header from the error's <c>RetryInfo</c>.
/// </summary>
internal sealed class RequestMetricsInterceptor(ServingMetrics metrics, ModelRegistry registry, ILogger<RequestMetricsInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var status = StatusCode.OK;
        var reason = "";
        try
        {
            var response = await continuation(request, context).ConfigureAwait(false);
            if (context.Status.StatusCode != StatusCode.OK)
            {
                // Answered with a status, not thrown (refusals: RpcErrors.Answer).
                status = context.Status.StatusCode;
                reason = context.ResponseTrailers.GetValue("reason") ?? "";
            }

            return response;
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            reason = ReasonOf(ex);
            RetryAfter.SetForRest(context, ex);
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = context.Deadline <= DateTime.UtcNow ? StatusCode.DeadlineExceeded : StatusCode.Cancelled;
            reason = "cancelled";
            throw new RpcException(new Status(status, "the call was cancelled before it completed"));
        }
        catch (Exception ex)
        {
            status = StatusCode.Internal;
            reason = "internal";
            logger.LogError(ex, "Unexpected failure in {Method}", context.Method);
            throw new RpcException(new Status(StatusCode.Internal, $"internal error: {ex.GetType().Name}"));
        }
        finally
        {
            if (RankTarget(request) is (string modelName, string versionName))
            {
                Count(metrics, registry, modelName, versionName, status, reason);
            }
        }
    }

    /// <summary>Counts one scoring call in <c>serving_requests_total</c> under the model and version it resolved to (the Open Inference REST API counts here too).</summary>
    internal static void Count(ServingMetrics metrics, ModelRegistry registry, string modelName, string versionName, StatusCode status, string reason)
    {
        var model = registry.Find(modelName);
        var version = model?.Find(versionName)?.Version ?? "";
        metrics.Requests.WithLabels(model?.Name ?? "unknown", version, Contracts.GrpcStatusNames.Of(status), reason).Inc();
    }

    /// <summary>The error's reason: the <c>reason</c> trailer of a refusal (cheap: the common error under overload), else its <c>ErrorInfo</c>.</summary>
    internal static string ReasonOf(RpcException ex) =>
        ex.Trailers.GetValue("reason") ?? ex.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason ?? "";

    /// <summary>The model and version a Rank call asked for (gRPC: wire bytes; REST: parsed); null for other calls.</summary>
    private static (string Model, string Version)? RankTarget(object? request) => request switch
    {
        WireRankRequest wire => (wire.Model, wire.Version),
        RankRequest parsed => (parsed.Model, parsed.Version),
        Contracts.Inference.V2.ModelInferRequest infer => (infer.ModelName, infer.ModelVersion),
        _ => null,
    };
}
