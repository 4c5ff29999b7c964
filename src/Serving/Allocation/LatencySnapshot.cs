namespace Serving.Allocation;

/// <summary>
/// What one model's traffic looked like over a window: end-to-end latency quantiles of the answered
/// requests (from the <c>serving_request_duration_seconds</c> histogram, as Prometheus'
/// <c>histogram_quantile</c> computes them), rates, and how busy the replicas were.
/// </summary>
/// <param name="Window">The span the figures cover.</param>
/// <param name="P99">99th percentile; null when no request was answered in the window.</param>
/// <param name="P50">Median; null when no request was answered in the window.</param>
/// <param name="Count">Requests answered in the window.</param>
/// <param name="RequestRate">Requests answered per second.</param>
/// <param name="RowRate">Candidate rows answered per second.</param>
/// <param name="MissRate">Requests per second refused (rejections) or answered DEADLINE_EXCEEDED.</param>
/// <param name="BusyReplicaSeconds">Replica-seconds spent computing per second, summed over devices (2.0 = two replicas busy all the time).</param>
/// <param name="FleetWide">True when the figures cover every pod (Prometheus), false for this pod alone.</param>
public sealed record LatencySnapshot(
    TimeSpan Window,
    TimeSpan? P99,
    TimeSpan? P50,
    double Count,
    double RequestRate,
    double RowRate,
    double MissRate,
    double BusyReplicaSeconds,
    bool FleetWide)
{
    /// <summary>An empty window: no traffic.</summary>
    public static LatencySnapshot Empty(TimeSpan window, bool fleetWide) => new(window, null, null, 0, 0, 0, 0, 0, fleetWide);

    /// <summary>Share of the requests that were refused or missed their deadline.</summary>
    public double MissRatio => RequestRate + MissRate > 0 ? MissRate / (RequestRate + MissRate) : 0;
}

/// <summary>
/// This pod's own load over a window, all models together: what sets the capacity of one pod,
/// whatever source the latency comes from.
/// </summary>
/// <param name="Window">The span the figures cover.</param>
/// <param name="CpuSecondsPerSecond">Process CPU time per second (1.0 = one core busy).</param>
/// <param name="RowRate">Rows answered per second, all models.</param>
/// <param name="Count">Requests answered, all models.</param>
/// <param name="Cores">Cores the process may use.</param>
public sealed record PodLoad(TimeSpan Window, double CpuSecondsPerSecond, double RowRate, double Count, int Cores)
{
    /// <summary>Share of the pod's cores in use.</summary>
    public double CpuRatio => Cores > 0 ? CpuSecondsPerSecond / Cores : 0;

    /// <summary>CPU time per answered row, everything included (API, features, batching, compute); null without traffic.</summary>
    public double? CpuSecondsPerRow => RowRate > 0 && CpuSecondsPerSecond > 0 ? CpuSecondsPerSecond / RowRate : null;
}
