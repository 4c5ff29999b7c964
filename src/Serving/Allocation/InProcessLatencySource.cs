using Serving.Telemetry;

namespace Serving.Allocation;

/// <summary>
/// The default latency source: this process's own figures (<see cref="LatencyTotals"/>, fed with
/// the Prometheus histograms and counters, same buckets), differenced against the previous read, so
/// a snapshot covers the time since the previous read (one control interval) and its quantiles are
/// computed from the bucket deltas as Prometheus would.
/// </summary>
public sealed class InProcessLatencySource : ILatencySource, IDisposable
{
    private readonly ServingMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _processCpu;
    private readonly int _cores;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly double[] _bounds;
    private Dictionary<string, LatencyTotals.Snapshot> _previous = new(StringComparer.Ordinal);
    private long _previousTimestamp;
    private TimeSpan _previousCpu;

    /// <param name="metrics">The server's metrics.</param>
    /// <param name="time">The clock that times the windows.</param>
    /// <param name="processCpu">The process's CPU time so far; by default <see cref="System.Diagnostics.Process.TotalProcessorTime"/>.</param>
    /// <param name="cores">Cores the process may use; by default <see cref="Environment.ProcessorCount"/> (which honours container CPU limits).</param>
    public InProcessLatencySource(ServingMetrics metrics, TimeProvider time, Func<TimeSpan>? processCpu = null, int? cores = null)
    {
        _metrics = metrics;
        _time = time;
        _processCpu = processCpu ?? ProcessCpu;
        _cores = cores ?? Environment.ProcessorCount;
        _bounds = metrics.Totals.UpperBounds();
        _previousTimestamp = time.GetTimestamp();
        _previousCpu = _processCpu();
    }

    public string Name => nameof(LatencySourceKind.InProcess);

    /// <summary>This pod's load over the window of the last read; null before the first.</summary>
    public PodLoad? LastPodLoad { get; private set; }

    public async Task<IReadOnlyDictionary<string, LatencySnapshot>> ReadAsync(IReadOnlyCollection<string> models, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = _metrics.Totals.Read();
            var now = _time.GetTimestamp();
            var cpu = _processCpu();
            var window = _time.GetElapsedTime(_previousTimestamp, now);
            var result = new Dictionary<string, LatencySnapshot>(StringComparer.Ordinal);
            foreach (var model in models)
            {
                var after = current.GetValueOrDefault(model);
                var before = _previous.GetValueOrDefault(model);
                result[model] = after is null ? LatencySnapshot.Empty(window, fleetWide: false) : Delta(_bounds, after, before, window);
            }

            // The pod's load counts every model, asked for or not.
            var seconds = Math.Max(window.TotalSeconds, 1e-9);
            double rows = 0, count = 0;
            foreach (var (model, after) in current)
            {
                var before = _previous.GetValueOrDefault(model);
                rows += Increase(after.Rows, before?.Rows);
                count += Increase(after.CumulativeCounts[^1], before?.CumulativeCounts[^1]);
            }

            LastPodLoad = new PodLoad(window, Math.Max(0, (cpu - _previousCpu).TotalSeconds) / seconds, rows / seconds, count, _cores);
            _previous = current;
            _previousTimestamp = now;
            _previousCpu = cpu;
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static LatencySnapshot Delta(double[] bounds, LatencyTotals.Snapshot after, LatencyTotals.Snapshot? before, TimeSpan window)
    {
        var counts = new double[bounds.Length];
        for (var i = 0; i < bounds.Length; i++)
        {
            counts[i] = Increase(after.CumulativeCounts[i], before?.CumulativeCounts[i]);
        }

        var seconds = Math.Max(window.TotalSeconds, 1e-9);
        var count = counts.Length > 0 ? counts[^1] : 0;
        var p99 = HistogramQuantile.Compute(0.99, bounds, counts);
        var p50 = HistogramQuantile.Compute(0.5, bounds, counts);
        return new LatencySnapshot(
            window,
            p99 is { } q99 ? TimeSpan.FromSeconds(q99) : null,
            p50 is { } q50 ? TimeSpan.FromSeconds(q50) : null,
            count,
            count / seconds,
            Increase(after.Rows, before?.Rows) / seconds,
            Increase(after.Misses, before?.Misses) / seconds,
            Increase(after.ComputeSeconds, before?.ComputeSeconds) / seconds,
            FleetWide: false);
    }

    /// <summary>A counter's increase; a counter that fell was reset, so it counts from zero.</summary>
    private static double Increase(double after, double? before) =>
        before is { } b && b <= after ? after - b : after;

    public void Dispose() => _gate.Dispose();

    private static TimeSpan ProcessCpu()
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
