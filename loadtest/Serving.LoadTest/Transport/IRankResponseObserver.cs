using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Transport;

/// <summary>
/// Sees every Rank response the gRPC transport receives, with the request it answers: the hook
/// through which the benchmarks' probe reads the server's <see cref="RankResponse.Timing"/>
/// without a sender of its own. Called on the completing thread; must be quick and thread-safe.
/// </summary>
internal interface IRankResponseObserver
{
    void OnResponse(PooledRequest request, RankResponse response);
}
