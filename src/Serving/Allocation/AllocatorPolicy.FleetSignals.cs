namespace Serving.Allocation;

// The fleet signals: desired pods and SLO headroom (docs/allocator.md, "Fleet signals").
public sealed partial class AllocatorPolicy
{
    private sealed partial class Step
    {
        /// <summary>
        /// Pods the fleet needs: the fleet's row rate (this pod's × FleetPods when the source sees one
        /// pod), scaled up by the share of requests refused, over what one pod answers at the target
        /// utilisation. That capacity is measured on this pod: the lower of its CPU bound (cores ×
        /// TargetUtilization ÷ CPU time per row) and its replica bound (replicas × TargetUtilization ×
        /// rows per busy replica-second), smoothed over windows with enough requests.
        /// </summary>
        private double DesiredReplicas()
        {
            if (_m is null)
            {
                return double.NaN;
            }

            var perPod = 0;
            foreach (var device in _obs.Devices)
            {
                perPod += _model.Replicas.TryGetValue(device.Device, out var pin) ? Math.Clamp(pin, 1, Math.Max(1, device.Loaded)) : ReplicaBounds(device).Max;
            }

            double? capacity = null;
            if (_obs.Pod is { CpuSecondsPerRow: { } cpuPerRow } pod && pod.Count >= _o.MinSamples)
            {
                capacity = pod.Cores * _o.TargetUtilization / cpuPerRow;
            }

            if (_local is { RowRate: > 0, BusyReplicaSeconds: > 0 } local && local.Count >= _o.MinSamples)
            {
                var replicaBound = Math.Max(1, perPod) * _o.TargetUtilization * local.RowRate / local.BusyReplicaSeconds;
                capacity = capacity is { } c ? Math.Min(c, replicaBound) : replicaBound;
            }

            if (capacity is { } measured)
            {
                _mem.PodCapacityRows = _mem.PodCapacityRows is { } previous ? (0.7 * previous) + (0.3 * measured) : measured;
            }

            var rows = _m.RowRate * (_m.FleetWide ? 1 : _o.FleetPods);
            if (rows <= 0)
            {
                return 0;
            }

            var offered = _m.RequestRate > 0 ? Math.Min((_m.RequestRate + _m.MissRate) / _m.RequestRate, 4) : 1;
            return _mem.PodCapacityRows is { } perPodRows ? rows * offered / perPodRows : double.NaN;
        }

        private double Headroom() => _m?.P99 is { } p99 ? 1 - (p99 / _obs.Slo) : 1;
    }
}
