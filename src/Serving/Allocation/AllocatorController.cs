using System.Globalization;
using Microsoft.Extensions.Logging;
using Serving.Telemetry;

namespace Serving.Allocation;

/// <summary>
/// One control step for every model: read the latency source, ask the <see cref="AllocatorPolicy"/>,
/// apply its settings, and make each decision visible (a structured log line, metrics, and
/// <c>/v1/allocator</c>). <see cref="AllocatorService"/> calls it on a timer.
/// </summary>
/// <remarks>
/// The configured source gives the latency the SLO is judged on (the fleet's, with Prometheus);
/// <paramref name="local"/> gives this pod's own load, which replica decisions and the capacity of
/// one pod depend on. With the in-process source both are the same reader.
/// </remarks>
public sealed class AllocatorController(
    IControlledModelSource models,
    ILatencySource source,
    InProcessLatencySource? local,
    AllocatorPolicy policy,
    AllocatorMetrics metrics,
    AllocatorState state,
    TimeProvider time,
    ILogger<AllocatorController> logger)
{
    public async Task StepAsync(CancellationToken cancellationToken)
    {
        var list = models.Models;
        if (list.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        var names = list.Select(m => m.Name).ToList();
        IReadOnlyDictionary<string, LatencySnapshot>? snapshots = null;
        IReadOnlyDictionary<string, LatencySnapshot>? localSnapshots = null;
        if (local is not null && !ReferenceEquals(local, source))
        {
            localSnapshots = await local.ReadAsync(names, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            snapshots = await source.ReadAsync(names, cancellationToken).ConfigureAwait(false);
            if (ReferenceEquals(local, source))
            {
                localSnapshots = snapshots;
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Every unpinned knob holds until the source answers again; the fleet signals keep their last value.
            metrics.SourceErrors.WithLabels(source.Name).Inc();
            state.SourceFailed(now, ex.Message);
            logger.LogWarning("Allocator: the {Source} latency source could not be read, settings hold: {Error}", source.Name, ex.Message);
        }

        foreach (var model in list)
        {
            var measurement = snapshots?.GetValueOrDefault(model.Name);
            var plan = policy.Decide(new ModelObservation
            {
                Model = model.Name,
                Now = now,
                Slo = model.Slo,
                Mode = model.Mode,
                MaxBatchRows = model.MaxBatchRows,
                TargetBatchRows = model.TargetBatchRows,
                MaxQueueDelay = model.MaxQueueDelay,
                Devices = model.Devices,
                PredictCompute = model.PredictCompute,
                Measurement = measurement,
                Local = localSnapshots?.GetValueOrDefault(model.Name),
                Pod = local?.LastPodLoad,
            });
            Apply(model, plan);
            Publish(model, measurement, plan);
            state.Record(model.Name, now, measurement, plan);
        }

        state.StepCompleted(now);
    }

    private void Apply(IControlledModel model, ModelPlan plan)
    {
        if (plan.TargetBatchRows != model.TargetBatchRows)
        {
            model.TargetBatchRows = plan.TargetBatchRows;
        }

        if (plan.MaxQueueDelay != model.MaxQueueDelay)
        {
            model.MaxQueueDelay = plan.MaxQueueDelay;
        }

        foreach (var device in model.Devices)
        {
            if (plan.Replicas.TryGetValue(device.Device, out var replicas) && replicas != device.Active)
            {
                model.SetReplicas(device.Device, replicas);
            }
        }

        foreach (var d in plan.Decisions)
        {
            logger.LogInformation(
                "Allocator {Model}: {Knob} {Direction} {From} -> {To}: {Reason} (p99 {P99Ms} ms, target {TargetP99Ms} ms, SLO {SloMs} ms, {Count} requests, {RowRate} rows/s, busy {BusyRatio}, missed {MissRatio} over {WindowSeconds} s)",
                d.Model,
                d.Knob,
                d.Direction,
                d.From,
                d.To,
                d.Reason,
                Round(d.Inputs.P99Ms),
                Round(d.Inputs.TargetP99Ms),
                Round(d.Inputs.SloMs),
                Round(d.Inputs.Count),
                Round(d.Inputs.RowRate),
                Round(d.Inputs.BusyRatio),
                Round(d.Inputs.MissRatio),
                Round(d.Inputs.WindowSeconds));
            metrics.Decisions.WithLabels(d.Model, d.Knob, d.Direction).Inc();
        }
    }

    private void Publish(IControlledModel model, LatencySnapshot? measurement, ModelPlan plan)
    {
        metrics.TargetBatchRows.WithLabels(model.Name).Set(model.TargetBatchRows);
        metrics.MaxQueueDelay.WithLabels(model.Name).Set(model.MaxQueueDelay.TotalSeconds);
        foreach (var device in model.Devices)
        {
            metrics.Replicas.WithLabels(model.Name, device.Device).Set(device.Active);
        }

        if (measurement is null)
        {
            return;
        }

        metrics.P99.WithLabels(model.Name).Set(measurement.P99?.TotalSeconds ?? 0);
        metrics.BusyRatio.WithLabels(model.Name).Set(plan.BusyRatio);
        metrics.SloHeadroom.WithLabels(model.Name).Set(plan.HeadroomRatio);
        if (double.IsFinite(plan.DesiredReplicas))
        {
            metrics.DesiredReplicas.WithLabels(model.Name).Set(plan.DesiredReplicas);
        }

        if (plan.PodCapacityRows is { } capacity)
        {
            metrics.PodCapacity.WithLabels(model.Name).Set(capacity);
        }
    }

    private static string Round(double? value) =>
        value is { } v ? Math.Round(v, 3).ToString(CultureInfo.InvariantCulture) : "n/a";
}
