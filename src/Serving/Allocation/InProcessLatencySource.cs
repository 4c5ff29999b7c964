using System.Text;
using Serving.Telemetry;

namespace Serving.Allocation;

/// <summary>
/// The default latency source: this process's own histograms. Each read serialises the metrics
/// registry to the text exposition format (what <c>/metrics</c> serves), and differences it
/// against the previous read, so a snapshot covers the time since the previous read (one control
/// interval) and its quantiles are computed from the bucket deltas as Prometheus would.
/// </summary>
public sealed class InProcessLatencySource : ILatencySource, IDisposable
{
    /// <summary>Rejection reasons that count as the server failing a request (draining and best-effort shedding are by design).</summary>
    internal static readonly string[] MissReasons = ["queue_full", "predicted_deadline_miss"];

    private static readonly HashSet<string> Names =
    [
        "serving_request_duration_seconds_bucket",
        "serving_candidates_per_request_sum",
        "serving_compute_duration_seconds_sum",
        "serving_rejections_total",
        "serving_deadline_exceeded_total",
    ];

    private readonly ServingMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _processCpu;
    private readonly int _cores;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, Totals> _previous = new(StringComparer.Ordinal);
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
            var current = await CollectAsync(cancellationToken).ConfigureAwait(false);
            var now = _time.GetTimestamp();
            var cpu = _processCpu();
            var window = _time.GetElapsedTime(_previousTimestamp, now);
            var result = new Dictionary<string, LatencySnapshot>(StringComparer.Ordinal);
            foreach (var model in models)
            {
                var after = current.GetValueOrDefault(model);
                var before = _previous.GetValueOrDefault(model);
                result[model] = after is null ? LatencySnapshot.Empty(window, fleetWide: false) : Delta(after, before, window);
            }

            // The pod's load counts every model, asked for or not.
            var seconds = Math.Max(window.TotalSeconds, 1e-9);
            double rows = 0, count = 0;
            foreach (var (model, after) in current)
            {
                var before = _previous.GetValueOrDefault(model);
                rows += Increase(after.Rows, before?.Rows);
                count += Increase(after.Buckets.Count > 0 ? after.Buckets.Values.Last() : 0, before is { Buckets.Count: > 0 } ? before.Buckets.Values.Last() : null);
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

    /// <summary>The cumulative totals of every model, as the registry holds them now.</summary>
    internal async Task<Dictionary<string, Totals>> CollectAsync(CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream();
        await _metrics.Registry.CollectAndExportAsTextAsync(stream, cancellationToken).ConfigureAwait(false);
        var text = Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
        var totals = new Dictionary<string, Totals>(StringComparer.Ordinal);
        foreach (var sample in ExpositionText.Parse(text, Names))
        {
            if (!sample.Labels.TryGetValue("model", out var model))
            {
                continue;
            }

            if (!totals.TryGetValue(model, out var t))
            {
                t = new Totals();
                totals[model] = t;
            }

            switch (sample.Name)
            {
                case "serving_request_duration_seconds_bucket":
                    if (sample.Labels.TryGetValue("le", out var le) && ExpositionText.TryParseValue(le, out var bound))
                    {
                        t.Buckets[bound] = t.Buckets.GetValueOrDefault(bound) + sample.Value;
                    }

                    break;
                case "serving_candidates_per_request_sum":
                    t.Rows += sample.Value;
                    break;
                case "serving_compute_duration_seconds_sum":
                    t.ComputeSeconds += sample.Value;
                    break;
                case "serving_rejections_total":
                    if (sample.Labels.TryGetValue("reason", out var reason) && MissReasons.Contains(reason))
                    {
                        t.Misses += sample.Value;
                    }

                    break;
                case "serving_deadline_exceeded_total":
                    t.Misses += sample.Value;
                    break;
            }
        }

        return totals;
    }

    private static LatencySnapshot Delta(Totals after, Totals? before, TimeSpan window)
    {
        var bounds = after.Buckets.Keys.ToArray();
        var counts = new double[bounds.Length];
        for (var i = 0; i < bounds.Length; i++)
        {
            counts[i] = Increase(after.Buckets[bounds[i]], before is not null && before.Buckets.TryGetValue(bounds[i], out var was) ? was : null);
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

    /// <summary>One model's cumulative figures at one moment.</summary>
    internal sealed class Totals
    {
        /// <summary>Cumulative count by bucket upper bound (the last is +Inf).</summary>
        public SortedDictionary<double, double> Buckets { get; } = [];
        public double Rows { get; set; }
        public double ComputeSeconds { get; set; }
        public double Misses { get; set; }
    }
}
