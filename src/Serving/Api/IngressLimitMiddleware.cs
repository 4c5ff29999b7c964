using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Serving.Hosting;
using Serving.Telemetry;

namespace Serving.Api;

/// <summary>
/// Sheds Rank calls before they are read or parsed once <see cref="ServingOptions.MaxInFlightRequests"/>
/// are already in the server: under overload a refusal here costs a fraction of a served call, so
/// the excess is answered at once (RESOURCE_EXHAUSTED / HTTP 429, reason <c>ingress_limit</c>)
/// instead of queueing for CPU in front of admission control.
/// </summary>
internal sealed class IngressLimitMiddleware(RequestDelegate next, IOptions<ServingOptions> options, ServingMetrics metrics)
{
    public const string Reason = "ingress_limit";
    private const string GrpcRankPath = "/serving.ranking.v1.RankingService/Rank";
    private readonly int _limit = options.Value.MaxInFlightRequests;
    private int _inFlight;

    public async Task InvokeAsync(HttpContext context)
    {
        if (_limit <= 0 || !IsRank(context.Request.Path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (Interlocked.Increment(ref _inFlight) > _limit)
        {
            Interlocked.Decrement(ref _inFlight);
            metrics.IngressRejections.Inc();
            await RejectAsync(context).ConfigureAwait(false);
            return;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private static bool IsRank(PathString path) =>
        path.Value is { } p && (p == GrpcRankPath || p.EndsWith(":rank", StringComparison.Ordinal));

    private Task RejectAsync(HttpContext context)
    {
        var message = $"{Reason}: {_limit} calls already in flight; retry with backoff or on another replica";
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            // A gRPC "trailers-only" response: the status travels in the headers, no body.
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "8";
            context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            context.Response.Headers["reason"] = Reason;
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { code = 8, message, details = Array.Empty<object>() }));
    }
}
