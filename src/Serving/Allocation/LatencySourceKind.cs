namespace Serving.Allocation;

/// <summary>Where the allocator reads latency histograms.</summary>
public enum LatencySourceKind
{
    /// <summary>This process's own histograms (windowed deltas): no other service needed.</summary>
    InProcess,

    /// <summary>A Prometheus server's HTTP API: the whole fleet's histograms.</summary>
    Prometheus,
}
