using Grpc.Net.Client;

namespace Serving.LoadTest.Transport;

/// <summary>
/// The one gRPC channel setup of the generator and the benchmarks' probe. Multiple HTTP/2
/// connections are enabled so a run is not capped by one connection's concurrent-stream limit
/// (100 by default in Kestrel); idle connections are kept, so a pause between runs does not
/// add connection setup to the next one's latency.
/// </summary>
internal static class GrpcChannels
{
    public static GrpcChannel Create(Uri target)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(5),
        };
        return GrpcChannel.ForAddress(target, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
            MaxSendMessageSize = 64 * 1024 * 1024,
        });
    }
}
