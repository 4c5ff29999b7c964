using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Serving.Hosting;
using Serving.Models;
using Serving.Telemetry;

namespace Serving.Api;

/// <summary>
/// Sheds Rank calls before they are read or parsed once the ingress limit is in flight: under
/// overload a refusal here costs a fraction of a served call, so the excess is answered at once
/// (RESOURCE_EXHAUSTED / HTTP 429, reason <c>ingress_limit</c>) instead of queueing for CPU in
/// front of admission control. The limit adapts (<see cref="AdaptiveConcurrencyLimit"/>) between
/// <see cref="ServingOptions.MinInFlightRequests"/> and <see cref="ServingOptions.MaxInFlightRequests"/>.
/// </summary>
internal sealed class IngressLimitMiddleware
{
    public const string Reason = "ingress_limit";

    /// <summary>How often the limit may change.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    /// <summary>Used as the latency target until a model is served (and none sets <c>sloP99Ms</c>).</summary>
    public static readonly TimeSpan FallbackLatencyTarget = TimeSpan.FromMilliseconds(5);

    private const string GrpcRankPath = "/serving.ranking.v1.RankingService/Rank";
    private readonly RequestDelegate _next;
    private readonly ServingMetrics _metrics;
    private readonly AdaptiveConcurrencyLimit? _limit;

    public IngressLimitMiddleware(
        RequestDelegate next, IOptions<ServingOptions> options, ServingMetrics metrics, ModelRepository repository, TimeProvider time, ThreadPoolQueueDelay queueDelay)
    {
        ArgumentNullException.ThrowIfNull(options);
        _next = next;
        _metrics = metrics;
        var o = options.Value;
        if (o.MaxInFlightRequests > 0)
        {
            queueDelay.Start();
            _limit = new AdaptiveConcurrencyLimit(
                time, Math.Min(o.MinInFlightRequests, o.MaxInFlightRequests), o.MaxInFlightRequests,
                () => o.IngressLatencyTarget ?? LatencyTarget(repository), Window,
                queueDelay.TakeMean, o.IngressQueueDelayTarget, metrics.IngressLimit.Set);
            metrics.IngressLimit.Set(_limit.Limit);
        }
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (_limit is null || !IsRank(context.Request.Path))
        {
            await _next(context).ConfigureAwait(false);
            return;
        }

        if (_limit.TryAcquire() is not { } started)
        {
            _metrics.IngressRejections.Inc();
            await RejectAsync(context, _limit.Limit).ConfigureAwait(false);
            return;
        }

        try
        {
            await _next(context).ConfigureAwait(false);
        }
        finally
        {
            _limit.Release(started);
        }
    }

    /// <summary>Half the smallest SLO among the served models.</summary>
    internal static TimeSpan LatencyTarget(ModelRepository repository)
    {
        var smallest = TimeSpan.MaxValue;
        foreach (var model in repository.Models)
        {
            var slo = model.Default.Spec.SloP99;
            smallest = slo < smallest ? slo : smallest;
        }

        return smallest == TimeSpan.MaxValue ? FallbackLatencyTarget : smallest / 2;
    }

    private static bool IsRank(PathString path) =>
        path.Value is { } p && (p == GrpcRankPath || p.EndsWith(":rank", StringComparison.Ordinal));

    private static Task RejectAsync(HttpContext context, int limit)
    {
        var message = $"{Reason}: {limit} calls already in flight; retry with backoff or on another replica";
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
