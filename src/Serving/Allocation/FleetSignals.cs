namespace Serving.Allocation;

/// <summary>The fleet signals: desired pods and SLO headroom (docs/allocator.md, "Fleet signals").</summary>
internal sealed class FleetSignals(StepContext step)
{
    /// <summary>
    /// Pods the fleet needs: the fleet's row rate (this pod's × FleetPods when the source sees one
    /// pod), scaled up by the share of requests refused, over what one pod answers at the target
    /// utilisation. That capacity is measured on this pod: the lower of its CPU bound (cores ×
    /// TargetUtilization ÷ CPU time per row) and its replica bound (replicas × TargetUtilization ×
    /// rows per busy replica-second), scaled down while this pod's p99 nears the target
    /// (<see cref="LatencyCapacity"/>), smoothed over windows with enough requests.
    /// </summary>
    public double DesiredReplicas()
    {
        if (step.Measurement is not { } measurement)
        {
            return double.NaN;
        }

        var perPod = 0;
        foreach (var device in step.Observation.Devices)
        {
            perPod += step.ModelOptions.Replicas.TryGetValue(device.Device, out var pin) ? Math.Clamp(pin, 1, Math.Max(1, device.Loaded)) : step.ReplicaBounds(device).Max;
        }

        double? capacity = null;
        if (step.Observation.Pod is { CpuSecondsPerRow: { } cpuPerRow } pod && pod.Count >= step.Options.MinSamples)
        {
            capacity = pod.Cores * step.Options.TargetUtilization / cpuPerRow;
        }

        if (step.Local is { RowRate: > 0, BusyReplicaSeconds: > 0 } local && local.Count >= step.Options.MinSamples)
        {
            var replicaBound = Math.Max(1, perPod) * step.Options.TargetUtilization * local.RowRate / local.BusyReplicaSeconds;
            capacity = capacity is { } c ? Math.Min(c, replicaBound) : replicaBound;
        }

        if (capacity is { } measured)
        {
            measured *= LatencyCapacity.Factor(step);
            step.Memory.PodCapacityRows = step.Memory.PodCapacityRows is { } previous ? (0.7 * previous) + (0.3 * measured) : measured;
        }

        var rows = measurement.RowRate * (measurement.FleetWide ? 1 : step.Options.FleetPods);
        if (rows <= 0)
        {
            return 0;
        }

        var offered = measurement.RequestRate > 0 ? Math.Min((measurement.RequestRate + measurement.MissRate) / measurement.RequestRate, 4) : 1;
        return step.Memory.PodCapacityRows is { } perPodRows ? rows * offered / perPodRows : double.NaN;
    }

    /// <summary>How far p99 is below the SLO, as a share of it: 1 − p99 ÷ SLO (1 when unmeasured).</summary>
    public double Headroom() => step.Measurement?.P99 is { } p99 ? 1 - (p99 / step.Observation.Slo) : 1;
}
