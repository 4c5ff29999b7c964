namespace Serving.Fleet.Devices;

/// <summary>
/// CPU time a request costs the server besides its model compute (HTTP/2 and gRPC, parse, feature
/// assembly, the batcher, the response): a fixed part plus a part per candidate row. It runs on the
/// pod's cores before the request reaches the batcher, whether the request is then admitted or not.
/// </summary>
/// <param name="FixedUs">Microseconds per request.</param>
/// <param name="PerRowUs">Microseconds per candidate row.</param>
internal sealed record RequestCpuCost(double FixedUs, double PerRowUs)
{
    /// <summary>
    /// Fitted to docs/benchmarks.md, "Where the time goes" (adaptive mode, one core): CPU µs per
    /// request minus ORT compute µs per request was 805 − 328 = 477 µs at 161.7 rows per request
    /// (Criteo mix) and 236 − 98 = 138 µs at 10 rows: 115 µs + 2.24 µs per row.
    /// </summary>
    public static RequestCpuCost Measured { get; } = new(115, 2.24);

    /// <summary>
    /// CPU to read a call and refuse it at the admission gate (its limit reached): an assumption,
    /// not measured (the gate sits after the message is read; reading a 50 KB request is most of the
    /// parse cost, so a quarter of the fixed part is taken).
    /// </summary>
    public TimeSpan RefusalCost => TimeSpan.FromTicks((long)Math.Round(FixedUs / 4 * TimeSpan.TicksPerMicrosecond));

    public TimeSpan For(int rows) => TimeSpan.FromTicks((long)Math.Round((FixedUs + (PerRowUs * rows)) * TimeSpan.TicksPerMicrosecond));
}
