using System.Globalization;

namespace Serving.Benchmarks;

/// <summary>The server's Prometheus /metrics, read as sums per metric name (labels added up), and their growth over a run.</summary>
internal static class ServerMetrics
{
    public static async Task<IReadOnlyDictionary<string, double>> ScrapeAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var text = await http.GetStringAsync(url, cancellationToken).ConfigureAwait(false);
        return Parse(text);
    }

    /// <summary>Sums every sample line's value by metric name (the part before <c>{</c> or the space); comments skipped.</summary>
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var name = line[..(brace >= 0 && brace < space ? brace : space)];
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return sums;
    }

    /// <summary>After minus before of the metrics the report uses (a metric missing on either side counts as 0), to 6 decimals.</summary>
    public static MetricsDelta Delta(IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        double Grew(string name) => Math.Round(after.GetValueOrDefault(name) - before.GetValueOrDefault(name), 6);
        return new MetricsDelta
        {
            ComputeSecondsSum = Grew("serving_compute_duration_seconds_sum"),
            ComputeCount = Grew("serving_compute_duration_seconds_count"),
            QueueSecondsSum = Grew("serving_queue_duration_seconds_sum"),
            BatchRowsSum = Grew("serving_batch_rows_sum"),
            BatchCount = Grew("serving_batch_rows_count"),
            RequestSecondsSum = Grew("serving_request_duration_seconds_sum"),
            RequestCount = Grew("serving_request_duration_seconds_count"),
            Rejections = Grew("serving_rejections_total"),
            DeadlineExceeded = Grew("serving_deadline_exceeded_total"),
        };
    }
}
