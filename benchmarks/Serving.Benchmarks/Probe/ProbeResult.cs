using Serving.LoadTest.Recording;
using System.Text.Json.Serialization;

namespace Serving.Benchmarks;

/// <summary>
/// What one probe run wrote (probe/*.json, overload.json, after-overload.json): written by
/// <see cref="ProbeCommand"/>, read by <see cref="ReportCommand"/> and copied whole into results.json.
/// The CPU and /metrics fields are left out of the file when the run had no --server-pid or --metrics.
/// </summary>
internal sealed record ProbeResult
{
    public string Label { get; init; } = "";

    public string Target { get; init; } = "";

    /// <summary>The candidates spec asked for (<c>fixed:N</c> or <c>lognormal:MEAN,SIGMA,MAX</c>).</summary>
    public string Candidates { get; init; } = "";

    public double MeanCandidatesPerRequest { get; init; }

    /// <summary><c>synthetic</c> or <c>replay PATH</c>.</summary>
    public string Workload { get; init; } = "";

    public double SloMs { get; init; }

    public double OfferedRate { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary>Arrivals generated (sent or dropped).</summary>
    public long Offered { get; init; }

    public long Sent { get; init; }

    /// <summary>Arrivals not sent: the in-flight cap was reached.</summary>
    public long Dropped { get; init; }

    /// <summary>Sent and never answered, even after cancellation.</summary>
    public long Unanswered { get; init; }

    /// <summary>Responses of any status.</summary>
    public long Completed { get; init; }

    public long Ok { get; init; }

    /// <summary>OK responses per second of the run's duration.</summary>
    public double OkRate { get; init; }

    /// <summary>Candidates of the OK Rank responses per second (0 for <c>--call list</c>).</summary>
    public double OkRowsPerSecond { get; init; }

    /// <summary>RESOURCE_EXHAUSTED responses ÷ offered.</summary>
    public double RejectedShare { get; init; }

    /// <summary>OK responses that arrived later than the model's SLO after their intended send.</summary>
    public long OkAfterSlo { get; init; }

    /// <summary>Every response, from the intended send.</summary>
    public ProbeLatencyMs LatencyMs { get; init; } = ProbeLatencyMs.Empty;

    /// <summary>From the intended send, per status label.</summary>
    public IReadOnlyDictionary<string, ProbeLatencyMs> LatencyMsByStatus { get; init; } = new Dictionary<string, ProbeLatencyMs>();

    /// <summary>From the moment the call actually left (the generator's own lateness excluded), per status label.</summary>
    public IReadOnlyDictionary<string, ProbeLatencyMs> ServiceMsByStatus { get; init; } = new Dictionary<string, ProbeLatencyMs>();

    public ProbeLatencyMs SendLagMs { get; init; } = ProbeLatencyMs.Empty;

    /// <summary>Means of the server's <c>Timing</c> over the OK responses; null when none carried one.</summary>
    public ServerTimingMeans? ServerTimingMeansOk { get; init; }

    /// <summary>The server's own total (handler) time of the OK responses.</summary>
    public ProbeLatencyMs ServerTotalMsOk { get; init; } = ProbeLatencyMs.Empty;

    /// <summary>User + system CPU seconds of the server process over the run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ServerCpuSeconds { get; init; }

    /// <summary>
    /// Where the CPU seconds came from: <c>schedstat</c> (every thread's ns on CPU, when no thread exited
    /// over the run) or <c>stat</c> (user + system in 10 ms ticks). Absent in files written before it: <c>stat</c>.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ServerCpuSource { get; init; }

    /// <summary>The server's CPU seconds per second with no load, measured just before the run.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ServerIdleCpuPerSecond { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public MetricsDelta? MetricsDelta { get; init; }
}

/// <summary>A latency histogram in ms: the count, and the percentiles unless it is empty (then only <c>{"count": 0}</c>).</summary>
internal sealed record ProbeLatencyMs(
    long Count,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? P50,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? P90,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? P99,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? P999,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Max,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Mean)
{
    public static ProbeLatencyMs Empty { get; } = new(0, null, null, null, null, null, null);
}


/// <summary>How much the server's /metrics counters and sums grew over the run (summed over labels).</summary>
internal sealed record MetricsDelta
{
    [JsonPropertyName("serving_compute_duration_seconds_sum")]
    public double ComputeSecondsSum { get; init; }

    [JsonPropertyName("serving_compute_duration_seconds_count")]
    public double ComputeCount { get; init; }

    [JsonPropertyName("serving_queue_duration_seconds_sum")]
    public double QueueSecondsSum { get; init; }

    [JsonPropertyName("serving_batch_rows_sum")]
    public double BatchRowsSum { get; init; }

    [JsonPropertyName("serving_batch_rows_count")]
    public double BatchCount { get; init; }

    [JsonPropertyName("serving_request_duration_seconds_sum")]
    public double RequestSecondsSum { get; init; }

    [JsonPropertyName("serving_request_duration_seconds_count")]
    public double RequestCount { get; init; }

    [JsonPropertyName("serving_rejections_total")]
    public double Rejections { get; init; }

    [JsonPropertyName("serving_deadline_exceeded_total")]
    public double DeadlineExceeded { get; init; }
}
