namespace Serving.Allocation;

/// <summary>
/// The latency-aware part of the capacity of one pod (docs/allocator.md, "Fleet signals"). The
/// CPU- and replica-derived capacity counts a pod as full at <see cref="AllocatorOptions.TargetUtilization"/>,
/// which is right only if the pod still holds its SLO comfortably there. A model whose pod reaches
/// its SLO capacity at a lower utilisation shows it in this pod's own windows before the SLO is
/// missed: p99 climbs from the low-water mark towards the target, or requests start being refused.
/// This factor scales the capacity down by how far the window has gone into that band: 1 at or
/// below the low-water mark (latency headroom: the utilisation target alone decides),
/// <see cref="AllocatorOptions.CapacityAtTarget"/> once p99 reaches the target p99 or the refused
/// or late share reaches <see cref="AllocatorOptions.MaxMissRatio"/>, linear in between.
/// <para>
/// It is measured only on windows that say where the pod's latency stands below its SLO capacity:
/// at least <see cref="AllocatorOptions.MinSamples"/> answered requests, the SLO held (p99 within
/// it, misses within <see cref="AllocatorOptions.MaxMissRatio"/>) and the pod not overloaded. A
/// window past the SLO or overloaded keeps the last factor: its excess load is already counted by
/// the refused requests the signal adds, and counting it again would overshoot after a step. The
/// capacity's smoothing (EWMA over windows) then averages the factor, so one slow window moves the
/// signal by a fraction.
/// </para>
/// </summary>
internal static class LatencyCapacity
{
    /// <summary>The factor, in [<see cref="AllocatorOptions.CapacityAtTarget"/>, 1], for this step (remembered in <see cref="ModelMemory.LatencyFactor"/>).</summary>
    public static double Factor(StepContext step)
    {
        var floor = step.Options.CapacityAtTarget;
        if (floor >= 1)
        {
            return step.Memory.LatencyFactor = 1;
        }

        if (step.Local is not { P99: { } p99 } local
            || local.Count < step.Options.MinSamples
            || p99 > step.Observation.Slo
            || local.MissRatio > step.Options.MaxMissRatio
            || step.Overloaded)
        {
            return step.Memory.LatencyFactor;
        }

        var band = (step.TargetP99 - step.LowWater).TotalMilliseconds;
        var byLatency = band > 0 ? (p99 - step.LowWater).TotalMilliseconds / band : 0;
        var byMisses = step.Options.MaxMissRatio > 0 ? local.MissRatio / step.Options.MaxMissRatio : 0;
        var depth = Math.Clamp(Math.Max(byLatency, byMisses), 0, 1);
        return step.Memory.LatencyFactor = 1 - (depth * (1 - floor));
    }
}
