namespace Serving.Hosting;

/// <summary>The request-path warm-up before readiness (<c>Serving:WarmUpRequestPath</c>).</summary>
public sealed class RequestPathWarmUpOptions
{
    public const string SectionName = "Serving";

    /// <summary>
    /// Before /readyz turns ready, send one REST and one gRPC Rank call per model through the
    /// server's own listening addresses, so the first real calls do not pay for compiling the
    /// request path (the server runs without tiered compilation: fully optimised code, compiled on
    /// first use, which made the first call after start miss a 10 ms SLO).
    /// </summary>
    public bool WarmUpRequestPath { get; set; } = true;
}
