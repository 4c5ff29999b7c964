using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Serving.Api;

namespace Serving.Hosting;

/// <summary>Kestrel's limits from the API's: the largest body, and HTTP/2 receive windows sized for large requests.</summary>
internal sealed class KestrelLimitsSetup(IOptions<ApiOptions> api) : IConfigureOptions<KestrelServerOptions>
{
    /// <summary>HTTP/2 receive windows: a 1,024-candidate request is ~0.4 MB, and Kestrel's defaults
    /// (96 KB per stream, 128 KB per connection) make the client wait for window updates several
    /// times per request. Raised only where Kestrel:Limits:Http2 left Kestrel's default.</summary>
    public const int StreamWindowBytes = 2 * 1024 * 1024;
    public const int ConnectionWindowBytes = 4 * 1024 * 1024;

    public void Configure(KestrelServerOptions options)
    {
        options.Limits.MaxRequestBodySize = api.Value.MaxRequestBytes;
        var http2 = options.Limits.Http2;
        var defaults = new Http2Limits();
        if (http2.InitialStreamWindowSize == defaults.InitialStreamWindowSize)
        {
            http2.InitialStreamWindowSize = StreamWindowBytes;
        }

        if (http2.InitialConnectionWindowSize == defaults.InitialConnectionWindowSize)
        {
            http2.InitialConnectionWindowSize = ConnectionWindowBytes;
        }
    }
}

/// <summary>gRPC's largest message from the API's limit.</summary>
internal sealed class GrpcLimitsSetup(IOptions<ApiOptions> api) : IConfigureOptions<Grpc.AspNetCore.Server.GrpcServiceOptions>
{
    public void Configure(Grpc.AspNetCore.Server.GrpcServiceOptions options) => options.MaxReceiveMessageSize = api.Value.MaxRequestBytes;
}
