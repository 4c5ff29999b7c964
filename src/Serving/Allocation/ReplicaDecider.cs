using static Serving.Allocation.ReasonFormat;

namespace Serving.Allocation;

/// <summary>Session replicas per device pool (docs/allocator.md, "Session replicas per device").</summary>
internal sealed class ReplicaDecider(StepContext step)
{
    /// <summary>The active replicas per device for this step; changes are recorded on the step.</summary>
    public Dictionary<string, int> Decide()
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        var free = new List<DeviceReplicas>();
        foreach (var device in step.Observation.Devices)
        {
            result[device.Device] = device.Active;
            if (step.ModelOptions.Replicas.TryGetValue(device.Device, out var pin))
            {
                var pinned = Math.Clamp(pin, 1, Math.Max(1, device.Loaded));
                if (pinned != device.Active)
                {
                    result[device.Device] = step.ChangeReplicas(device.Device, device.Active, pinned, $"pinned by Serving:Allocator:Models:{step.Observation.Model}:Replicas:{device.Device}");
                }

                continue;
            }

            var (min, max) = step.ReplicaBounds(device);
            if (step.Controls && (device.Active < min || device.Active > max))
            {
                result[device.Device] = step.ChangeReplicas(device.Device, device.Active, Math.Clamp(device.Active, min, max), $"outside the bounds [{min}, {max}] replicas");
                continue;
            }

            free.Add(device);
        }

        if (!step.Controls || free.Count == 0 || step.Decisions.Any(d => d.Knob.StartsWith("replicas_", StringComparison.Ordinal)))
        {
            return result;
        }

        var mem = step.Memory.Replicas;
        mem.Blocked.Expire(step.Now, step.RowRate, step.Options);
        var total = step.Observation.Devices.Sum(d => d.Active);
        var measuredAfterChange = mem.LastChange is null || step.Now - mem.LastChange >= step.Window * 0.9;

        // Judge the last added replica: keep it if throughput rose or p99 held.
        if (mem.Probe is { } probe && measuredAfterChange)
        {
            mem.Probe = null;
            var gained = step.LocalRowRate >= probe.RowRate * (1 + step.Options.MinCapacityGain);
            var held = step.Measurement!.P99 is not { } p99 || p99 <= step.TargetP99 || (probe.P99 is { } before && p99 <= before * 1.1);
            if (!gained && !held && free.FirstOrDefault(d => d.Device == probe.Device) is { } device && result[device.Device] > step.ReplicaBounds(device).Min)
            {
                mem.Blocked.Remember(total, step.Now, step.RowRate);
                result[device.Device] = step.ChangeReplicas(device.Device, device.Active, device.Active - 1,
                    $"the replica added at {probe.At:HH:mm:ss} raised neither throughput ({probe.RowRate:0} -> {step.LocalRowRate:0} rows/s) nor kept p99 ({Ms(probe.P99)} -> {Ms(step.Measurement.P99)} ms): removed, and {total} replicas not tried again at this load");
                return result;
            }
        }

        var cooled = mem.LastChange is null || (step.Now - mem.LastChange >= step.Options.ReplicaCooldown && measuredAfterChange);
        if (step.BusyRatio >= step.Options.ReplicaAddUtilization)
        {
            mem.IdleSince = null;
            var blocked = mem.Blocked.Value is { } b && total + 1 >= b;
            var grow = free.FirstOrDefault(d => d.Active < step.ReplicaBounds(d).Max);
            if (cooled && !blocked && grow is not null)
            {
                mem.Probe = new ReplicaProbe(grow.Device, step.Now, step.LocalRowRate, step.Measurement!.P99);
                result[grow.Device] = step.ChangeReplicas(grow.Device, grow.Active, grow.Active + 1,
                    $"replicas {Pct(step.BusyRatio)} busy >= {Pct(step.Options.ReplicaAddUtilization)}: one more for throughput");
            }

            return result;
        }

        // Idle means the replicas left would be lightly busy *and* so is the pod's CPU: the busy
        // share counts compute only, while a replica also overlaps its batch's completion (scatter,
        // responses) with another replica's compute, and on a busy CPU one fewer measurably hurts.
        var localBusy = step.Local?.BusyReplicaSeconds ?? 0;
        var idle = total > 1 && !step.AboveTarget
            && localBusy / (total - 1) <= step.Options.ReplicaRemoveUtilization
            && step.CpuRatio <= step.Options.ReplicaRemoveUtilization;
        if (!idle)
        {
            mem.IdleSince = null;
            return result;
        }

        mem.IdleSince ??= step.Now;
        var shrink = free.LastOrDefault(d => d.Active > step.ReplicaBounds(d).Min);
        if (cooled && shrink is not null && step.Now - mem.IdleSince >= step.Options.ReplicaIdleHold)
        {
            mem.IdleSince = null;
            result[shrink.Device] = step.ChangeReplicas(shrink.Device, shrink.Active, shrink.Active - 1,
                $"idle: {total - 1} replicas would be {Pct(localBusy / (total - 1))} busy and the CPU is {Pct(step.CpuRatio)} (both <= {Pct(step.Options.ReplicaRemoveUtilization)}) for {step.Options.ReplicaIdleHold.TotalSeconds:0} s");
        }

        return result;
    }
}
