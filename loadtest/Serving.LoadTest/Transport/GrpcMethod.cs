namespace Serving.LoadTest.Transport;

/// <summary>Which gRPC method the requests' bytes go to (<c>--grpc-method</c>).</summary>
public enum GrpcMethod
{
    /// <summary><c>RankingService/Rank</c>: the server's real work.</summary>
    Rank,

    /// <summary>
    /// <c>RankingService/TransportFloor</c>: the same bytes, answered with candidate_count zero scores
    /// and nothing parsed or scored (benchmark only; the server needs <c>Serving:Benchmark:TransportFloor=true</c>).
    /// </summary>
    Floor,
}
