namespace Serving.Allocation;

// Session replicas per device pool (docs/allocator.md, "Session replicas per device").
public sealed partial class AllocatorPolicy
{
    private sealed partial class Step
    {
        private (int Min, int Max) ReplicaBounds(DeviceReplicas device)
        {
            var loaded = Math.Max(1, device.Loaded);
            var min = Math.Min(_o.MinReplicas, loaded);
            var max = Math.Clamp(_o.MaxReplicas ?? loaded, min, loaded);
            return (min, max);
        }

        private Dictionary<string, int> DecideReplicas()
        {
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            var free = new List<DeviceReplicas>();
            foreach (var device in _obs.Devices)
            {
                result[device.Device] = device.Active;
                if (_model.Replicas.TryGetValue(device.Device, out var pin))
                {
                    var pinned = Math.Clamp(pin, 1, Math.Max(1, device.Loaded));
                    if (pinned != device.Active)
                    {
                        result[device.Device] = ChangeReplicas(device.Device, device.Active, pinned, $"pinned by Serving:Allocator:Models:{_obs.Model}:Replicas:{device.Device}");
                    }

                    continue;
                }

                var (min, max) = ReplicaBounds(device);
                if (Controls && (device.Active < min || device.Active > max))
                {
                    result[device.Device] = ChangeReplicas(device.Device, device.Active, Math.Clamp(device.Active, min, max), $"outside the bounds [{min}, {max}] replicas");
                    continue;
                }

                free.Add(device);
            }

            if (!Controls || free.Count == 0 || _decisions.Any(d => d.Knob.StartsWith("replicas_", StringComparison.Ordinal)))
            {
                return result;
            }

            var mem = _mem.Replicas;
            mem.Blocked.Expire(_now, RowRate, _o);
            var total = _obs.Devices.Sum(d => d.Active);
            var measuredAfterChange = mem.LastChange is null || _now - mem.LastChange >= _window * 0.9;

            // Judge the last added replica: keep it if throughput rose or p99 held.
            if (mem.Probe is { } probe && measuredAfterChange)
            {
                mem.Probe = null;
                var gained = LocalRowRate >= probe.RowRate * (1 + _o.MinCapacityGain);
                var held = _m!.P99 is not { } p99 || p99 <= _target || (probe.P99 is { } before && p99 <= before * 1.1);
                if (!gained && !held && free.FirstOrDefault(d => d.Device == probe.Device) is { } device && result[device.Device] > ReplicaBounds(device).Min)
                {
                    mem.Blocked.Remember(total, _now, RowRate);
                    result[device.Device] = ChangeReplicas(device.Device, device.Active, device.Active - 1,
                        $"the replica added at {probe.At:HH:mm:ss} raised neither throughput ({probe.RowRate:0} -> {LocalRowRate:0} rows/s) nor kept p99 ({Ms(probe.P99)} -> {Ms(_m.P99)} ms): removed, and {total} replicas not tried again at this load");
                    return result;
                }
            }

            var cooled = mem.LastChange is null || (_now - mem.LastChange >= _o.ReplicaCooldown && measuredAfterChange);
            if (_busy >= _o.ReplicaAddUtilization)
            {
                mem.IdleSince = null;
                var blocked = mem.Blocked.Value is { } b && total + 1 >= b;
                var grow = free.FirstOrDefault(d => d.Active < ReplicaBounds(d).Max);
                if (cooled && !blocked && grow is not null)
                {
                    mem.Probe = new ReplicaProbe(grow.Device, _now, LocalRowRate, _m!.P99);
                    result[grow.Device] = ChangeReplicas(grow.Device, grow.Active, grow.Active + 1,
                        $"replicas {Pct(_busy)} busy >= {Pct(_o.ReplicaAddUtilization)}: one more for throughput");
                }

                return result;
            }

            // Idle means the replicas left would be lightly busy *and* so is the pod's CPU: the busy
            // share counts compute only, while a replica also overlaps its batch's completion (scatter,
            // responses) with another replica's compute, and on a busy CPU one fewer measurably hurts.
            var localBusy = _local?.BusyReplicaSeconds ?? 0;
            var idle = total > 1 && !_aboveTarget
                && localBusy / (total - 1) <= _o.ReplicaRemoveUtilization
                && _cpu <= _o.ReplicaRemoveUtilization;
            if (!idle)
            {
                mem.IdleSince = null;
                return result;
            }

            mem.IdleSince ??= _now;
            var shrink = free.LastOrDefault(d => d.Active > ReplicaBounds(d).Min);
            if (cooled && shrink is not null && _now - mem.IdleSince >= _o.ReplicaIdleHold)
            {
                mem.IdleSince = null;
                result[shrink.Device] = ChangeReplicas(shrink.Device, shrink.Active, shrink.Active - 1,
                    $"idle: {total - 1} replicas would be {Pct(localBusy / (total - 1))} busy and the CPU is {Pct(_cpu)} (both <= {Pct(_o.ReplicaRemoveUtilization)}) for {_o.ReplicaIdleHold.TotalSeconds:0} s");
            }

            return result;
        }
    }
}
