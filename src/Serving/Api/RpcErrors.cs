using Grpc.Core;
using Serving.Batching;

namespace Serving.Api;

/// <summary>Builds the status errors clients see; each message names the field or the reason.</summary>
internal static class RpcErrors
{
    public static RpcException InvalidArgument(string field, string problem) =>
        new(new Status(StatusCode.InvalidArgument, $"{field}: {problem}"), new Metadata { { "field", field } });

    /// <summary>A call refused before compute: RESOURCE_EXHAUSTED, or UNAVAILABLE while the server drains.</summary>
    public static RpcException Refused(string reason, string message)
    {
        var code = reason == RejectionReasons.Draining ? StatusCode.Unavailable : StatusCode.ResourceExhausted;
        return new RpcException(new Status(code, $"{reason}: {message}"), new Metadata { { "reason", reason } });
    }

    public static RpcException DeadlineExceeded(string message) => new(new Status(StatusCode.DeadlineExceeded, message));

    /// <summary>The request's batch failed on its device (a session error, a terminated run): UNAVAILABLE, so clients retry.</summary>
    public static RpcException BatchFailed(string message) => new(new Status(StatusCode.Unavailable, $"{message}; retry"));
}
