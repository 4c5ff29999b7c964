namespace Serving.Allocation;

/// <summary>A replica added at <see cref="At"/>, with the throughput and p99 measured before it.</summary>
internal sealed record ReplicaProbe(string Device, DateTimeOffset At, double RowRate, TimeSpan? P99);
