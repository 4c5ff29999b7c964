using System.Collections.Concurrent;

namespace Serving.Telemetry;

/// <summary>
/// The cumulative per-model figures the allocator's in-process source reads every control step:
/// request latency by bucket (the bounds of <c>serving_request_duration_seconds</c>), rows,
/// compute time and missed requests. Kept next to the Prometheus collectors and fed by the same
/// calls (<see cref="ServingMetrics"/>), so a read costs an array copy per model instead of
/// serialising and parsing the whole registry: that read took a few milliseconds of CPU per step,
/// and on one busy core the allocator alone pushed the per-second p99 over a 10 ms SLO in most
/// windows of a step load (docs/allocator.md). Thread-safe; lock-free on the recording side.
/// </summary>
public sealed class LatencyTotals(double[] bucketBoundsSeconds)
{
    /// <summary>Rejection reasons that count as the server failing a request (draining and best-effort shedding are by design).</summary>
    public static readonly string[] MissReasons = ["ingress_limit", "queue_full", "predicted_deadline_miss"];

    private readonly double[] _bounds = bucketBoundsSeconds;
    private readonly ConcurrentDictionary<string, ModelCounters> _models = new(StringComparer.Ordinal);

    /// <summary>One answered Rank request.</summary>
    public void Request(string model, double seconds, int rows)
    {
        var m = For(model);
        var index = Array.BinarySearch(_bounds, seconds);
        Interlocked.Increment(ref m.Buckets[index >= 0 ? index : ~index]);
        Interlocked.Add(ref m.Rows, rows);
    }

    /// <summary>One executed batch's compute time.</summary>
    public void Compute(string model, TimeSpan compute) => Interlocked.Add(ref For(model).ComputeTicks, compute.Ticks);

    /// <summary>A request refused for <paramref name="reason"/>; counted only for <see cref="MissReasons"/>.</summary>
    public void Rejected(string model, string reason)
    {
        if (Array.IndexOf(MissReasons, reason) >= 0)
        {
            Interlocked.Increment(ref For(model).Misses);
        }
    }

    /// <summary>A request answered DEADLINE_EXCEEDED.</summary>
    public void DeadlineExceeded(string model) => Interlocked.Increment(ref For(model).Misses);

    /// <summary>Every model's totals now: cumulative counts by upper bound (the last is +Inf), as a histogram exposes them.</summary>
    public Dictionary<string, Snapshot> Read()
    {
        var result = new Dictionary<string, Snapshot>(StringComparer.Ordinal);
        foreach (var (model, m) in _models)
        {
            var cumulative = new double[_bounds.Length + 1];
            long running = 0;
            for (var i = 0; i < cumulative.Length; i++)
            {
                running += Volatile.Read(ref m.Buckets[i]);
                cumulative[i] = running;
            }

            result[model] = new Snapshot(cumulative, Volatile.Read(ref m.Rows), TimeSpan.FromTicks(Volatile.Read(ref m.ComputeTicks)).TotalSeconds, Volatile.Read(ref m.Misses));
        }

        return result;
    }

    /// <summary>The upper bounds of the buckets, +Inf last.</summary>
    public double[] UpperBounds() => [.. _bounds, double.PositiveInfinity];

    private ModelCounters For(string model) => _models.GetOrAdd(model, static (_, n) => new ModelCounters(n), _bounds.Length + 1);

    /// <summary>One model's cumulative figures at one moment.</summary>
    /// <param name="CumulativeCounts">Requests at or below each of <see cref="UpperBounds"/>.</param>
    /// <param name="Rows">Rows (candidates) of the answered requests.</param>
    /// <param name="ComputeSeconds">Compute time of the executed batches.</param>
    /// <param name="Misses">Requests refused for a <see cref="MissReasons"/> reason or answered DEADLINE_EXCEEDED.</param>
    public sealed record Snapshot(double[] CumulativeCounts, double Rows, double ComputeSeconds, double Misses);

    private sealed class ModelCounters(int buckets)
    {
        public readonly long[] Buckets = new long[buckets];
        public long Rows;
        public long ComputeTicks;
        public long Misses;
    }
}
