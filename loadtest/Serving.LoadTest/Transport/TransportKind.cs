namespace Serving.LoadTest.Transport;

/// <summary>Which edge of the server the load goes through.</summary>
public enum TransportKind
{
    /// <summary>gRPC over HTTP/2 cleartext (port 8081 by default).</summary>
    Grpc,

    /// <summary>JSON over HTTP/1.1 through gRPC transcoding: <c>POST /v1/models/{model}:rank</c> (port 8080 by default).</summary>
    Rest,
}
