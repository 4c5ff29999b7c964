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
    /// Measured on 2026-11-30 at commit 70418a5 with scripts/request-cpu-fit.sh (docs/fleet.md,
    /// "What is simulated"): the server pinned to one core with its defaults, the load generator on
    /// the other, Criteo rows at fixed 10, 100, 400 and 1,000 candidates per request, each at
    /// 37–54% of the core, three repetitions on an idle machine. Per call: the server's CPU less its
    /// idle use, less what this simulator charges for the batches the server ran (data/criteo-deepfm.cpu.csv
    /// at the run's mean batch rows), so that request cost and batch cost add up to the server's CPU
    /// (ONNX Runtime inside the server costs 1.5–3.5× the raw curve; that excess is in these figures);
    /// least squares: 191.9 µs + 1.805 µs per candidate (per repetition 184–198 µs + 1.67–2.08 µs).
    /// It was 115 µs + 2.24 µs, fitted to docs/benchmarks.md's "Where the time goes" before the
    /// server's thread-pool workers stopped spinning.
    /// </summary>
    public static RequestCpuCost Measured { get; } = new(191.9, 1.805);

    /// <summary>
    /// CPU to read a call and refuse it at the admission gate (its limit reached): an assumption
    /// (the gate sits after the message is read; reading a 50 KB request is most of the parse cost,
    /// so a quarter of the fixed part is taken). scripts/request-cpu-fit.sh's runs with the gate
    /// fixed at one call (62% of 165-candidate calls refused) put it at 4–47 µs a refused call,
    /// 0.02–0.24× the fixed part, but not firmly: it is what is left of the CPU after the admitted
    /// calls are charged the fit, whose own spread is as large, and the 10-candidate runs leave
    /// nothing (their admitted calls, at a higher rate, cost less than the fit).
    /// </summary>
    public TimeSpan RefusalCost => TimeSpan.FromTicks((long)Math.Round(FixedUs / 4 * TimeSpan.TicksPerMicrosecond));

    public TimeSpan For(int rows) => TimeSpan.FromTicks((long)Math.Round((FixedUs + (PerRowUs * rows)) * TimeSpan.TicksPerMicrosecond));
}
