using Serving.Batching;
using Serving.Execution;

namespace Serving.Hosting;

/// <summary>Server-wide settings, bound from the <c>Serving</c> configuration section.</summary>
public sealed class ServingOptions
{
    public const string SectionName = "Serving";

    /// <summary>The model repository folder; a relative path is resolved against the current directory.</summary>
    public string ModelRepositoryPath { get; set; } = "models";

    /// <summary>Largest <c>candidate_count</c> accepted in one request.</summary>
    public int MaxCandidatesPerRequest { get; set; } = 4096;

    /// <summary>Largest request message accepted, in bytes (gRPC message and REST body).</summary>
    public int MaxRequestBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Most Rank calls allowed in the server at once; beyond the current limit calls are refused
    /// before they are read (RESOURCE_EXHAUSTED, reason <c>ingress_limit</c>). The limit starts
    /// here and adapts down to <see cref="MinInFlightRequests"/> while admitted calls take longer
    /// than <see cref="IngressLatencyTarget"/>. 0 turns the limit off.
    /// </summary>
    public int MaxInFlightRequests { get; set; } = 64;

    /// <summary>The ingress limit never adapts below this. At or above <see cref="MaxInFlightRequests"/>: a fixed limit.</summary>
    public int MinInFlightRequests { get; set; } = 4;

    /// <summary>
    /// Mean latency of admitted Rank calls (inside the server) above which the ingress limit shrinks
    /// (while at least half the limit is in flight). Default (null): half the smallest <c>sloP99Ms</c>
    /// among the served models.
    /// </summary>
    public TimeSpan? IngressLatencyTarget { get; set; }

    /// <summary>
    /// Mean wait of work in the thread pool's queue (where a new call waits before the ingress limit
    /// sees it) above which the ingress limit shrinks.
    /// </summary>
    public TimeSpan IngressQueueDelayTarget { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Before /readyz turns ready, send one REST and one gRPC Rank call per model through the
    /// server's own listening addresses, so the first real calls do not pay for compiling the
    /// request path (the server runs without tiered compilation: fully optimised code, compiled on
    /// first use, which made the first call after start miss a 10 ms SLO).
    /// </summary>
    public bool WarmUpRequestPath { get; set; } = true;

    /// <summary>Batching defaults.</summary>
    public BatchingOptions Batching { get; set; } = new();

    /// <summary>Device pool defaults.</summary>
    public DevicesOptions Devices { get; set; } = new();
}
