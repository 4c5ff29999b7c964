namespace Serving.LoadTest.Reporting;

/// <summary>Latency percentiles in milliseconds; null when nothing completed.</summary>
public sealed record LatencySummary(double? P50, double? P90, double? P99, double? P999, double? Max, double? Mean)
{
    /// <summary>The 95th percentile (after the positional ones, so summaries written before it still read; left out of JSON when unknown, so reports built from them are unchanged).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? P95 { get; init; }
}

/// <summary>
/// The server's timing of the OK responses of a run, in milliseconds: queue (the longest wait of
/// the request's rows before compute), compute (the batch's model run), total (receipt to
/// response inside the server); the mean rows of the batches that carried them; responses by device.
/// </summary>
public sealed record ServerTimingSummary(
    long Responses,
    LatencySummary TotalMs,
    LatencySummary QueueMs,
    LatencySummary ComputeMs,
    double MeanBatchRows,
    IReadOnlyDictionary<string, long> Devices);

/// <summary>
/// The result of one run, written as <c>summary.json</c>. Rates are per second of the offered window
/// (<see cref="DurationSeconds"/>); latency is from the intended send time to the response.
/// </summary>
public sealed record RunSummary
{
    /// <summary>Bumped when a field changes meaning or disappears.</summary>
    public int SchemaVersion { get; init; } = 1;

    public DateTimeOffset StartedAtUtc { get; init; }

    /// <summary>grpc or rest.</summary>
    public string Transport { get; init; } = "";

    public string Target { get; init; } = "";

    public string Model { get; init; } = "";

    public string? ModelVersion { get; init; }

    /// <summary>The rate schedule, e.g. <c>step base=200/s high=800/s at=10s for=10s</c>.</summary>
    public string Schedule { get; init; } = "";

    /// <summary>poisson or uniform.</summary>
    public string Arrivals { get; init; } = "";

    public int Seed { get; init; }

    /// <summary>The candidate-count distribution spec, e.g. <c>lognormal:165,1,1024,1</c>.</summary>
    public string Candidates { get; init; } = "";

    /// <summary>Mean candidates of the pre-built request pool.</summary>
    public double MeanCandidatesPerRequest { get; init; }

    /// <summary>Where features came from (replayed file or synthetic).</summary>
    public string Workload { get; init; } = "";

    /// <summary>The offered window: the run's duration, or up to the last arrival when the request cap or Ctrl+C ended it first.</summary>
    public double DurationSeconds { get; init; }

    /// <summary>The latency objective judged (p99, ms), if any.</summary>
    public double? SloMs { get; init; }

    /// <summary>Arrivals generated in the window (sent or dropped).</summary>
    public long Offered { get; init; }

    public long Sent { get; init; }

    /// <summary>Responses received, any status.</summary>
    public long Completed { get; init; }

    /// <summary>Successful responses: gRPC OK carrying one score per candidate, or REST HTTP 2xx.</summary>
    public long Succeeded { get; init; }

    /// <summary>Arrivals not sent because the in-flight cap was reached.</summary>
    public long Dropped { get; init; }

    /// <summary>Sent but never answered, even after cancellation.</summary>
    public long Abandoned { get; init; }

    /// <summary>Offered minus succeeded: failed responses, drops and abandoned requests.</summary>
    public long Errors { get; init; }

    public double OfferedRate { get; init; }

    /// <summary>Successful responses per second (goodput, if within the SLO).</summary>
    public double AchievedRate { get; init; }

    /// <summary>Responses of any status per second.</summary>
    public double CompletedRate { get; init; }

    /// <summary>Candidates scored per second (successful responses only).</summary>
    public double RowsPerSecond { get; init; }

    /// <summary>Errors / offered.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Latency of all completed requests, intended send to response.</summary>
    public LatencySummary LatencyMs { get; init; } = new(null, null, null, null, null, null);

    /// <summary>How late the generator sent requests after their intended time; a high p99 means the generator, not the server, was the bottleneck.</summary>
    public LatencySummary SendLagMs { get; init; } = new(null, null, null, null, null, null);

    /// <summary>
    /// The server's own timing of the OK responses (gRPC only: the response's <c>timing</c>): the
    /// rest of the latency above is the network, both HTTP/2 stacks and the generator. Left out of
    /// JSON when unknown (REST runs, summaries written before it).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ServerTimingSummary? ServerTiming { get; init; }

    /// <summary>Outcomes by status label: OK, RESOURCE_EXHAUSTED, HTTP_429, CLIENT_DROPPED, ...</summary>
    public IReadOnlyDictionary<string, long> StatusCounts { get; init; } = new Dictionary<string, long>();

    /// <summary>p99 within the SLO and error rate below 0.1%; null when no SLO is known.</summary>
    public bool? WithinSlo { get; init; }

    /// <summary>The run was stopped early (Ctrl+C or the caller's token).</summary>
    public bool Cancelled { get; init; }
}
