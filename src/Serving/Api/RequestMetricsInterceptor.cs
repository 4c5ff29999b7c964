using Grpc.Core;
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
/// logged cause, so no exception escapes to the transport.
/// </summary>
internal sealed class RequestMetricsInterceptor(ServingMetrics metrics, ModelRegistry registry, ILogger<RequestMetricsInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request,
        ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var status = StatusCode.OK;
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            status = context.Deadline <= DateTime.UtcNow ? StatusCode.DeadlineExceeded : StatusCode.Cancelled;
            throw new RpcException(new Status(status, "the call was cancelled before it completed"));
        }
        catch (Exception ex)
        {
            status = StatusCode.Internal;
            logger.LogError(ex, "Unexpected failure in {Method}", context.Method);
            throw new RpcException(new Status(StatusCode.Internal, $"internal error: {ex.GetType().Name}"));
        }
        finally
        {
            if (RankTarget(request) is (string modelName, string versionName))
            {
                var model = registry.Find(modelName);
                var version = model?.Find(versionName)?.Version ?? "";
                metrics.Requests.WithLabels(model?.Name ?? "unknown", version, status.ToString()).Inc();
            }
        }
    }

    /// <summary>The model and version a Rank call asked for (gRPC: wire bytes; REST: parsed); null for other calls.</summary>
    private static (string Model, string Version)? RankTarget(object? request) => request switch
    {
        WireRankRequest wire => (wire.Model, wire.Version),
        RankRequest parsed => (parsed.Model, parsed.Version),
        _ => null,
    };
}
