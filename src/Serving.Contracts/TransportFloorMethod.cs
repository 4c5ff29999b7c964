using Serving.Contracts.Ranking.V1;

namespace Serving.Contracts;

/// <summary>
/// The benchmark-only transport floor (off by default; <c>Serving:Benchmark:TransportFloor</c>):
/// a unary gRPC method beside Rank that takes the same <see cref="RankRequest"/> bytes and answers
/// a <see cref="RankResponse"/> with <c>candidate_count</c> zero scores, without parsing features,
/// batching or scoring. It is not in the .proto: the server and the load generator name it here.
/// </summary>
public static class TransportFloorMethod
{
    /// <summary>The service it lives under, Rank's own, so the same interceptors gate and count it.</summary>
    public static string ServiceName => RankingService.Descriptor.FullName;

    public const string Name = "TransportFloor";

    /// <summary>The gRPC path, <c>/serving.ranking.v1.RankingService/TransportFloor</c>.</summary>
    public static string Path => $"/{ServiceName}/{Name}";
}
