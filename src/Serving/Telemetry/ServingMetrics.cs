using Prometheus;

namespace Serving.Telemetry;

/// <summary>
/// Every metric the server exports (prefix <c>serving_</c>, base units, histograms so fleets can
/// aggregate quantiles), on one registry per host so several hosts can share a process.
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>Latency buckets for 0.1–100 ms, in seconds.</summary>
    public static readonly double[] LatencyBucketsSeconds =
    [
        0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008,
        0.009, 0.01, 0.0125, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1,
    ];

    /// <summary>Score buckets: click probabilities are mostly small, so finer at the bottom.</summary>
    public static readonly double[] ScoreBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1];

    /// <summary>Shadow-minus-primary score buckets, symmetric around 0.</summary>
    public static readonly double[] DifferenceBuckets = [-0.2, -0.1, -0.05, -0.02, -0.01, -0.005, -0.001, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2];

    /// <summary>One answered call in this many has its scores recorded in <c>serving_scores</c> (recording all would cost about 3% of a call).</summary>
    public const int ScoreSampleEvery = 16;

    /// <summary>Row-count buckets: powers of two to 4,096.</summary>
    public static readonly double[] RowBuckets = Histogram.ExponentialBuckets(1, 2, 13);

    public ServingMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter("serving_requests_total", "Rank requests by model, version, final gRPC status and, for errors, reason (the ErrorInfo reason: ingress_limit, queue_full, invalid_argument, ...).", "model", "version", "status", "reason");
        RequestDuration = factory.CreateHistogram("serving_request_duration_seconds", "Server-side end-to-end duration of answered Rank calls, by the version that scored them.",
            new HistogramConfiguration { LabelNames = ["model", "version"], Buckets = LatencyBucketsSeconds });
        QueueDuration = factory.CreateHistogram("serving_queue_duration_seconds", "Time a request's rows waited before computing: in the batcher, then for a replica (per slice).",
            new HistogramConfiguration { LabelNames = ["model", "version", "device"], Buckets = LatencyBucketsSeconds });
        ComputeDuration = factory.CreateHistogram("serving_compute_duration_seconds", "Model execution time per batch.",
            new HistogramConfiguration { LabelNames = ["model", "version", "device"], Buckets = LatencyBucketsSeconds });
        BatchRows = factory.CreateHistogram("serving_batch_rows", "Rows per executed batch.",
            new HistogramConfiguration { LabelNames = ["model", "version", "device"], Buckets = RowBuckets });
        CandidatesPerRequest = factory.CreateHistogram("serving_candidates_per_request", "Candidates (rows) per answered Rank request.",
            new HistogramConfiguration { LabelNames = ["model", "version"], Buckets = RowBuckets });
        Scores = factory.CreateHistogram("serving_scores", "Scores (click probabilities) a version returned: every candidate of one answered call in ScoreSampleEvery, and of every shadow call.",
            new HistogramConfiguration { LabelNames = ["model", "version"], Buckets = ScoreBuckets });
        ShadowRequests = factory.CreateCounter("serving_shadow_requests_total", "Calls mirrored to a shadow version, by outcome: scored, shed (the server was busy: the first work dropped), failed.", "model", "version", "outcome");
        ShadowDifference = factory.CreateHistogram("serving_shadow_score_difference", "Per candidate of a mirrored call: the shadow version's score minus the primary's (the primary version in the primary label).",
            new HistogramConfiguration { LabelNames = ["model", "version", "primary"], Buckets = DifferenceBuckets });
        Rejections = factory.CreateCounter("serving_rejections_total", "Requests refused before compute, by reason.", "model", "reason");
        DeadlineExceeded = factory.CreateCounter("serving_deadline_exceeded_total", "Requests answered DEADLINE_EXCEEDED.", "model");
        QueuedRows = factory.CreateGauge("serving_queued_rows", "Rows waiting in the version's batcher.", "model", "version");
        ModelReady = factory.CreateGauge("serving_model_ready", "1 when the model version is loaded, warmed and serving.", "model", "version");
        ModelState = factory.CreateGauge("serving_model_state", "1 for the state the model version is in (loading, available, failed, unloading), 0 for the others.", "model", "version", "state");
        ModelLoadFailures = factory.CreateCounter("serving_model_load_failures_total", "Model versions (or model configs) that could not be loaded; what served before keeps serving.", "model");
        IngressRejections = factory.CreateCounter("serving_ingress_rejections_total", "Ranking API calls refused at the admission gate (after the message is read, before any work): the ingress limit, best-effort shedding and draining; by reason in serving_requests_total.");
        IngressLimit = factory.CreateGauge("serving_ingress_limit", "Rank calls admitted at once: adapts between Serving:MinInFlightRequests and Serving:MaxInFlightRequests to the latency of admitted calls.");
        Fallbacks = factory.CreateCounter("serving_fallbacks_total", "Batches run on CPU instead of the GPU, by reason.", "model", "reason");
        DeviceState = factory.CreateGauge("serving_device_state", "1 when the model's pool on the device is serving, 0 when unavailable.", "model", "device");
        CircuitState = factory.CreateGauge("serving_circuit_state", "GPU circuit breaker: 1 for the state it is in (closed, half_open, open), 0 for the others.", "model", "device", "state");
        RuntimeMetrics.Register(Registry);
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Histogram RequestDuration { get; }
    public Histogram QueueDuration { get; }
    public Histogram ComputeDuration { get; }
    public Histogram BatchRows { get; }
    public Histogram CandidatesPerRequest { get; }
    public Histogram Scores { get; }
    public Counter ShadowRequests { get; }
    public Histogram ShadowDifference { get; }
    public Counter Rejections { get; }
    public Counter DeadlineExceeded { get; }
    public Gauge QueuedRows { get; }
    public Gauge ModelReady { get; }
    public Gauge ModelState { get; }
    public Counter ModelLoadFailures { get; }
    public Counter Fallbacks { get; }
    public Counter IngressRejections { get; }
    public Gauge IngressLimit { get; }
    public Gauge DeviceState { get; }
    /// <summary>The states <c>serving_circuit_state</c> has a series for, as its <c>state</c> label spells them.</summary>
    public static readonly IReadOnlyList<string> CircuitStates = ["closed", "half_open", "open"];

    /// <summary>Sets <c>serving_circuit_state</c> for the model's device: 1 on <paramref name="state"/>'s series, 0 on the others.</summary>
    public void SetCircuitState(string model, string device, string state)
    {
        foreach (var each in CircuitStates)
        {
            CircuitState.WithLabels(model, device, each).Set(each == state ? 1 : 0);
        }
    }

    public Gauge CircuitState { get; }

    /// <summary>The allocator's cheap copy of the request, compute and miss figures (fed with the collectors).</summary>
    public LatencyTotals Totals { get; } = new(LatencyBucketsSeconds);

    /// <summary>The metric children of one model version, bound once.</summary>
    public VersionMetrics ForVersion(string model, string version) => new(this, model, version);

    /// <summary>Records a request refused before compute.</summary>
    public void RecordRejection(string model, string reason)
    {
        Rejections.WithLabels(model, reason).Inc();
        Totals.Rejected(model, reason);
    }

    /// <summary>Records a request answered DEADLINE_EXCEEDED.</summary>
    public void RecordDeadlineExceeded(string model)
    {
        DeadlineExceeded.WithLabels(model).Inc();
        Totals.DeadlineExceeded(model);
    }

    /// <summary>Records one executed batch (queue time is recorded per slice by the batcher).</summary>
    public void RecordBatch(string model, string version, Batching.BatchExecution batch)
    {
        ComputeDuration.WithLabels(model, version, batch.Device).Observe(batch.Compute.TotalSeconds);
        Totals.Compute(model, batch.Compute);
        BatchRows.WithLabels(model, version, batch.Device).Observe(batch.BatchRows);
    }

    /// <summary>Removes every series of a version that no longer serves (so dashboards show live versions only).</summary>
    public void ForgetVersion(string model, string version)
    {
        Forget(RequestDuration, model, version);
        Forget(CandidatesPerRequest, model, version);
        Forget(QueueDuration, model, version);
        Forget(ComputeDuration, model, version);
        Forget(BatchRows, model, version);
        Forget(QueuedRows, model, version);
        Forget(Scores, model, version);
        Forget(ModelReady, model, version);
        Forget(ModelState, model, version);
        Forget(ShadowRequests, model, version);
        foreach (var labels in ShadowDifference.GetAllLabelValues().Where(l => l[0] == model && (l[1] == version || l[2] == version)).ToList())
        {
            ShadowDifference.RemoveLabelled(labels);
        }

    }

    /// <summary>Removes the series whose first two labels are this model and version.</summary>
    private static void Forget<TChild>(Collector<TChild> metric, string model, string version)
        where TChild : ChildBase
    {
        foreach (var labels in metric.GetAllLabelValues().Where(l => l[0] == model && l[1] == version).ToList())
        {
            metric.RemoveLabelled(labels);
        }
    }
}
