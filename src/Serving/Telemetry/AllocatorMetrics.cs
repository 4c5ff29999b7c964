using Prometheus;

namespace Serving.Telemetry;

/// <summary>
/// The allocator controller's metrics, on the server's registry (<see cref="ServingMetrics.Registry"/>):
/// the settings it chose, what it measured, its decisions, and the fleet signals an autoscaler
/// acts on (<c>serving_desired_replicas</c>, <c>serving_slo_headroom_ratio</c>).
/// </summary>
public sealed class AllocatorMetrics
{
    public AllocatorMetrics(ServingMetrics serving)
    {
        var factory = Metrics.WithCustomRegistry(serving.Registry);
        TargetBatchRows = factory.CreateGauge("serving_controller_target_batch_rows", "Target batch rows the allocator controller set.", "model");
        MaxQueueDelay = factory.CreateGauge("serving_controller_max_queue_delay_seconds", "Max queue delay the allocator controller set.", "model");
        Replicas = factory.CreateGauge("serving_controller_replicas", "Active session replicas the allocator controller set, by device.", "model", "device");
        Decisions = factory.CreateCounter("serving_controller_decisions_total", "Changes the allocator controller made, by knob and direction.", "model", "knob", "direction");
        P99 = factory.CreateGauge("serving_controller_p99_seconds", "End-to-end p99 the allocator controller measured over its last window (0 without traffic).", "model");
        BusyRatio = factory.CreateGauge("serving_controller_busy_ratio", "Share of the active replicas' time spent computing over the controller's last window.", "model");
        DesiredReplicas = factory.CreateGauge("serving_desired_replicas", "Pods the fleet needs for the observed load of the model at the target utilisation (fractional; every pod reports the whole fleet's need).", "model");
        SloHeadroom = factory.CreateGauge("serving_slo_headroom_ratio", "1 - p99 / SLO over the controller's last window (negative when the SLO is missed; 1 without traffic).", "model");
        PodCapacity = factory.CreateGauge("serving_controller_pod_capacity_rows_per_second", "Rows per second one pod answers for the model at the target utilisation, as measured on this pod (the denominator of serving_desired_replicas).", "model");
        SourceErrors = factory.CreateCounter("serving_controller_source_errors_total", "Control steps skipped because the latency source could not be read.", "source");
    }

    public Gauge TargetBatchRows { get; }
    public Gauge MaxQueueDelay { get; }
    public Gauge Replicas { get; }
    public Counter Decisions { get; }
    public Gauge P99 { get; }
    public Gauge BusyRatio { get; }
    public Gauge DesiredReplicas { get; }
    public Gauge SloHeadroom { get; }
    public Gauge PodCapacity { get; }
    public Counter SourceErrors { get; }
}
