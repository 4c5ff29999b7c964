using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Serving.Api;

/// <summary>The <c>Retry-After</c> header of a refused REST call (429, 503), in whole seconds from the error's <c>RetryInfo</c>.</summary>
internal static class RetryAfter
{
    public static void SetForRest(ServerCallContext context, RpcException error)
    {
        if (error.StatusCode is not (StatusCode.ResourceExhausted or StatusCode.Unavailable))
        {
            return;
        }

        var http = context.GetHttpContext();
        if (http.Response.HasStarted || http.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            return; // gRPC clients read the RetryInfo itself
        }

        if (Seconds(error) is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    /// <summary>The error's <c>RetryInfo</c> delay in whole seconds, rounded up; null without one.</summary>
    public static long? Seconds(RpcException error) =>
        error.GetRpcStatus()?.GetDetail<RetryInfo>()?.RetryDelay is { } delay ? (long)Math.Ceiling(delay.ToTimeSpan().TotalSeconds) : null;
}
