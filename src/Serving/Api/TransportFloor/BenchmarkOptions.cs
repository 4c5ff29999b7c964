namespace Serving.Api.TransportFloor;

/// <summary>Benchmark-only endpoints (<c>Serving:Benchmark</c>); all off by default.</summary>
public sealed class BenchmarkOptions
{
    public const string SectionName = "Serving:Benchmark";

    /// <summary>
    /// Maps gRPC <c>/serving.ranking.v1.RankingService/TransportFloor</c> on the public gRPC listener:
    /// Rank's bytes in, <c>candidate_count</c> zero scores out, nothing parsed or scored. Off: not
    /// mapped (UNIMPLEMENTED).
    /// </summary>
    public bool TransportFloor { get; set; }
}
