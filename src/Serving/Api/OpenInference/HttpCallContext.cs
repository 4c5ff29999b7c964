using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Serving.Api.OpenInference;

/// <summary>
/// The call context of an Open Inference Protocol REST call, for the ranking path that serves it:
/// the HTTP request's cancellation (the client went away) and no gRPC deadline (the budget comes
/// from the request's <c>timeout</c> parameter or the model's SLO).
/// </summary>
internal sealed class HttpCallContext(HttpContext http, string method) : ServerCallContext
{
    protected override string MethodCore => method;
    protected override string HostCore => http.Request.Host.Value ?? "";
    protected override string PeerCore => http.Connection.RemoteIpAddress?.ToString() ?? "";
    protected override DateTime DeadlineCore => DateTime.MaxValue;
    protected override Metadata RequestHeadersCore { get; } = [];
    protected override CancellationToken CancellationTokenCore => http.RequestAborted;
    protected override Metadata ResponseTrailersCore { get; } = [];
    protected override Status StatusCore { get; set; }
    protected override WriteOptions? WriteOptionsCore { get; set; }
    protected override AuthContext AuthContextCore { get; } = new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("a REST call has nothing to propagate");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
