using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Serving.Batching;
using Status = Grpc.Core.Status;

namespace Serving.Api;

/// <summary>
/// Builds the status errors clients see, in gRPC's rich error model: a message a person can act
/// on, and a <c>google.rpc.Status</c> in the <c>grpc-status-details-bin</c> trailer with an
/// <c>ErrorInfo</c> (the machine-readable reason), a <c>BadRequest</c> naming the field for invalid
/// arguments, and a <c>RetryInfo</c> on refusals a client may retry. REST gets the same details
/// through transcoding. The plain <c>reason</c> and <c>field</c> trailers stay for simple clients.
/// </summary>
internal static class RpcErrors
{
    /// <summary>The <c>ErrorInfo.domain</c> of every error the ranking API sends.</summary>
    public const string Domain = "serving.ranking.v1";

    /// <summary>The <c>ErrorInfo.reason</c> of errors that are not refusals.</summary>
    public static class Reasons
    {
        public const string InvalidArgument = "invalid_argument";
        public const string ModelNotFound = "model_not_found";
        public const string VersionNotFound = "version_not_found";
        public const string DeadlineExceeded = "deadline_exceeded";
        public const string BatchFailed = "batch_failed";
        public const string NoVersionServing = "no_version_serving";
        public const string Unauthenticated = "unauthenticated";
        public const string FailedPrecondition = "failed_precondition";
    }

    public static RpcException InvalidArgument(string field, string problem) =>
        Build(StatusCode.InvalidArgument, $"{field}: {problem}", Reasons.InvalidArgument, retryAfter: null,
            new BadRequest { FieldViolations = { new BadRequest.Types.FieldViolation { Field = field, Description = problem } } },
            ("field", field));

    public static RpcException NotFound(string reason, string message) =>
        Build(StatusCode.NotFound, message, reason, retryAfter: null);

    /// <summary>A control call the server's state does not allow (a version that failed to load, a label naming no live version).</summary>
    public static RpcException FailedPrecondition(string message) =>
        Build(StatusCode.FailedPrecondition, message, Reasons.FailedPrecondition, retryAfter: null);

    /// <summary>A control call without the admin bearer token (or with a wrong one).</summary>
    public static RpcException Unauthenticated(string message) =>
        Build(StatusCode.Unauthenticated, message, Reasons.Unauthenticated, retryAfter: null);

    /// <summary>The model is known but cannot take requests now (no version live): UNAVAILABLE, retry.</summary>
    public static RpcException Unavailable(string reason, string message) =>
        Build(StatusCode.Unavailable, message, reason, TimeSpan.FromSeconds(1));

    /// <summary>
    /// A call refused before compute: RESOURCE_EXHAUSTED, or UNAVAILABLE while the server drains;
    /// retryable after <see cref="RetryDelay"/>. Refusals come by the thousand under overload and
    /// their messages repeat (the limit changes rarely), so each distinct one is built once.
    /// </summary>
    public static RpcException Refused(string reason, string message)
    {
        var key = (reason, message);
        if (!RefusalCache.TryGetValue(key, out var cached))
        {
            var code = reason == RejectionReasons.Draining ? StatusCode.Unavailable : StatusCode.ResourceExhausted;
            cached = Build(code, $"{reason}: {message}", reason, RetryDelay(reason), detail: null, ("reason", reason));
            if (RefusalCache.Count >= MaxCachedRefusals)
            {
                RefusalCache.Clear();
            }

            RefusalCache[key] = cached;
        }

        // A fresh exception (a thrown one records its stack), over the cached status and trailers (only ever read).
        return new RpcException(cached.Status, cached.Trailers);
    }

    /// <summary>
    /// Ends a gRPC call with <paramref name="error"/>'s status and trailers without throwing it: a
    /// throw unwinds through both interceptors and the gRPC handler, and under overload, where
    /// almost every call is refused, that cost tens of microseconds of a saturated core per call.
    /// The empty message that goes with the status is ignored by clients (a non-OK status wins).
    /// Not for JSON transcoding, which turns a set status back into an exception without its trailers.
    /// </summary>
    public static TResponse Answer<TResponse>(ServerCallContext context, RpcException error)
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        context.Status = error.Status;
        foreach (var entry in error.Trailers)
        {
            context.ResponseTrailers.Add(entry);
        }

        return EmptyResponse<TResponse>.Instance;
    }

    /// <summary>True for a call that arrived as gRPC (not REST through JSON transcoding).</summary>
    public static bool IsGrpc(ServerCallContext context) =>
        context.GetHttpContext().Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;

    private const int MaxCachedRefusals = 256;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Reason, string Message), RpcException> RefusalCache = new();

    /// <summary>One empty message per response type (never modified: written as is).</summary>
    private static class EmptyResponse<TResponse>
        where TResponse : class
    {
        public static readonly TResponse Instance = Activator.CreateInstance<TResponse>();
    }

    public static RpcException DeadlineExceeded(string message) =>
        Build(StatusCode.DeadlineExceeded, message, Reasons.DeadlineExceeded, retryAfter: null);

    /// <summary>The request's batch failed on its device (a session error, a terminated run): UNAVAILABLE, so clients retry.</summary>
    public static RpcException BatchFailed(string message) =>
        Build(StatusCode.Unavailable, $"{message}; retry", Reasons.BatchFailed, TimeSpan.Zero);

    /// <summary>
    /// How long a client should wait before retrying a refusal: a draining server should be left at
    /// once (another replica), best effort later, the rest after about two windows of the gate.
    /// </summary>
    public static TimeSpan RetryDelay(string reason) => reason switch
    {
        RejectionReasons.Draining => TimeSpan.Zero,
        RejectionReasons.BestEffortShed => TimeSpan.FromSeconds(1),
        _ => TimeSpan.FromMilliseconds(100),
    };

    private static RpcException Build(StatusCode code, string message, string reason, TimeSpan? retryAfter, Google.Protobuf.IMessage? detail = null, params (string Key, string Value)[] trailers)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = message,
            Details = { Any.Pack(new ErrorInfo { Reason = reason, Domain = Domain }) },
        };
        if (detail is not null)
        {
            status.Details.Add(Any.Pack(detail));
        }

        if (retryAfter is { } delay)
        {
            status.Details.Add(Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(delay) }));
        }

        var metadata = new Metadata();
        foreach (var (key, value) in trailers)
        {
            metadata.Add(key, value);
        }

        metadata.SetRpcStatus(status);
        return new RpcException(new Status(code, message), metadata);
    }
}
