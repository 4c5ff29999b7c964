using System.Diagnostics;
using Serving.Execution;

namespace Serving.Benchmarks;

/// <summary>
/// Times <see cref="SessionReplica.Run"/> at one batch size in a tight loop on the calling thread:
/// a short untimed warm-up, then runs until <c>seconds</c> of ONNX Runtime time are spent. Each
/// run is preceded by <c>loadNext(rows)</c> (untimed), so the rows may differ from run to run.
/// </summary>
internal static class BatchTimer
{
    /// <param name="replica">The session and its buffers.</param>
    /// <param name="loadNext">Loads the next batch's rows (untimed).</param>
    /// <param name="rows">Batch size.</param>
    /// <param name="seconds">Timed ONNX Runtime seconds to collect.</param>
    /// <param name="idleMs">Sleep before each timed run (untimed), so that each run starts as a lightly loaded server's does: caches and the core cold.</param>
    public static RawOrtBatchSize Measure(SessionReplica replica, Action<int> loadNext, int rows, double seconds, double idleMs = 0)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(loadNext);
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromSeconds(Math.Min(0.2, seconds / 4)))
        {
            loadNext(rows);
            replica.Run(rows);
        }

        var durationsMs = new List<double>(4096);
        var limit = TimeSpan.FromSeconds(seconds);
        var timed = TimeSpan.Zero;
        var idle = TimeSpan.FromMilliseconds(idleMs);
        var wall = Stopwatch.StartNew();
        while (timed < limit && (idle == TimeSpan.Zero || wall.Elapsed < limit * 20))
        {
            loadNext(rows);
            if (idle > TimeSpan.Zero)
            {
                Thread.Sleep(idle);
            }

            var start = Stopwatch.GetTimestamp();
            replica.Run(rows);
            var run = Stopwatch.GetElapsedTime(start);
            timed += run;
            durationsMs.Add(run.TotalMilliseconds);
        }

        // Rows per second of ONNX Runtime time: the untimed loads between runs are left out.
        var rowsPerSecond = durationsMs.Count * (double)rows / timed.TotalSeconds;
        durationsMs.Sort();
        return new RawOrtBatchSize(
            rows,
            durationsMs.Count,
            Math.Round(rowsPerSecond, 1),
            Math.Round(durationsMs.Average(), 4),
            Math.Round(Percentile(durationsMs, 0.50), 4),
            Math.Round(Percentile(durationsMs, 0.99), 4));
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
