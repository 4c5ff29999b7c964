namespace Serving.Allocation;

public sealed partial class AllocatorPolicy
{
    /// <summary>What the policy remembers about one model between steps.</summary>
    private sealed class ModelMemory
    {
        public KnobMemory Rows { get; } = new();
        public KnobMemory Delay { get; } = new();
        public ReplicaMemory Replicas { get; } = new();

        /// <summary>Smoothed rows per second one pod answers at the target utilisation.</summary>
        public double? PodCapacityRows { get; set; }
    }

    /// <summary>When a knob last moved, and the setting at which p99 last went over the target.</summary>
    private sealed class KnobMemory
    {
        public DateTimeOffset? LastChange { get; set; }
        public DateTimeOffset? LastDecrease { get; set; }
        public LoadBoundLimit Ceiling { get; } = new();
    }

    private sealed class ReplicaMemory
    {
        public DateTimeOffset? LastChange { get; set; }
        public DateTimeOffset? IdleSince { get; set; }
        public ReplicaProbe? Probe { get; set; }

        /// <summary>A replica total not to grow to again while the load stays as it is.</summary>
        public LoadBoundLimit Blocked { get; } = new();
    }

    /// <summary>
    /// A limit learned at some load: it holds while the load stays within
    /// <see cref="AllocatorOptions.LoadChangeTolerance"/> of it, and for <see cref="AllocatorOptions.CeilingMemory"/> at most.
    /// </summary>
    private sealed class LoadBoundLimit
    {
        private DateTimeOffset _at;
        private double _rowRate;

        public double? Value { get; private set; }

        public void Remember(double value, DateTimeOffset now, double rowRate)
        {
            Value = value;
            _at = now;
            _rowRate = rowRate;
        }

        public void Expire(DateTimeOffset now, double rowRate, AllocatorOptions options)
        {
            if (Value is not null && (now - _at > options.CeilingMemory || LoadChanged(_rowRate, rowRate, options)))
            {
                Value = null;
            }
        }
    }

    /// <summary>A replica added at <see cref="At"/>, with the throughput and p99 measured before it.</summary>
    private sealed record ReplicaProbe(string Device, DateTimeOffset At, double RowRate, TimeSpan? P99);

    private static bool LoadChanged(double before, double now, AllocatorOptions options) =>
        Math.Abs(now - before) > options.LoadChangeTolerance * Math.Max(before, 1e-9);
}
