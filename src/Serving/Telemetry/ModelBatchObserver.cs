using Prometheus;
using Serving.Batching;

namespace Serving.Telemetry;

/// <summary>Feeds one model version's batcher events into the metrics, with label children bound once.</summary>
internal sealed class ModelBatchObserver(ServingMetrics metrics, string model, string version) : IBatchObserver
{
    private readonly Gauge.Child _queuedRows = metrics.QueuedRows.WithLabels(model, version);

    public void Rejected(string reason) => metrics.RecordRejection(model, reason);

    public void DeadlineExceeded() => metrics.RecordDeadlineExceeded(model);

    public void QueuedRows(int rows) => _queuedRows.Set(rows);

    public void SliceQueued(string device, TimeSpan queued) => metrics.QueueDuration.WithLabels(model, version, device).Observe(queued.TotalSeconds);
}
