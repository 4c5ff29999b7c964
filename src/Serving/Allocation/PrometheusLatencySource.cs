using System.Globalization;
using System.Text.Json;

namespace Serving.Allocation;

/// <summary>
/// Fleet mode: reads every pod's histograms from a Prometheus server over its HTTP API
/// (<c>/api/v1/query</c>), as <c>histogram_quantile</c> over <c>rate(...[window])</c> per model,
/// so the SLO the controller steers by is the fleet's, not one pod's.
/// </summary>
public sealed class PrometheusLatencySource : ILatencySource, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsClient;
    private readonly PrometheusSourceOptions _options;
    private readonly TimeProvider _time;
    private readonly Uri _queryUrl;

    public PrometheusLatencySource(PrometheusSourceOptions options, TimeProvider time, HttpClient? http = null)
    {
        _options = options;
        _time = time;
        var url = options.Url ?? throw new ArgumentException("Serving:Allocator:Prometheus:Url is required", nameof(options));
        _queryUrl = new Uri(url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/"), "api/v1/query");
        _ownsClient = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) });
    }

    public string Name => nameof(LatencySourceKind.Prometheus);

    /// <summary>The PromQL queries for one read, by the figure each yields; one series per model.</summary>
    public IReadOnlyDictionary<string, string> Queries()
    {
        var selector = string.IsNullOrWhiteSpace(_options.Selector) ? "model!=\"\"" : $"model!=\"\",{_options.Selector.Trim().Trim(',')}";
        var window = Duration(_options.QueryWindow);
        var missReasons = string.Join('|', Telemetry.LatencyTotals.MissReasons);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["p99"] = $"histogram_quantile(0.99, sum by (model, le) (rate(serving_request_duration_seconds_bucket{{{selector}}}[{window}])))",
            ["p50"] = $"histogram_quantile(0.5, sum by (model, le) (rate(serving_request_duration_seconds_bucket{{{selector}}}[{window}])))",
            ["requests"] = $"sum by (model) (rate(serving_request_duration_seconds_count{{{selector}}}[{window}]))",
            ["rows"] = $"sum by (model) (rate(serving_candidates_per_request_sum{{{selector}}}[{window}]))",
            ["busy"] = $"sum by (model) (rate(serving_compute_duration_seconds_sum{{{selector}}}[{window}]))",
            ["rejected"] = $"sum by (model) (rate(serving_rejections_total{{{selector},reason=~\"{missReasons}\"}}[{window}]))",
            ["late"] = $"sum by (model) (rate(serving_deadline_exceeded_total{{{selector}}}[{window}]))",
        };
    }

    public async Task<IReadOnlyDictionary<string, LatencySnapshot>> ReadAsync(IReadOnlyCollection<string> models, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var queries = Queries();
        var names = queries.Keys.ToArray();
        var answers = await Task.WhenAll(names.Select(n => QueryAsync(queries[n], linked.Token))).ConfigureAwait(false);
        var byName = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            byName[names[i]] = answers[i];
        }

        var window = _options.QueryWindow;
        var result = new Dictionary<string, LatencySnapshot>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            var requestRate = Finite(byName["requests"], model);
            result[model] = new LatencySnapshot(
                window,
                Seconds(byName["p99"], model),
                Seconds(byName["p50"], model),
                requestRate * window.TotalSeconds,
                requestRate,
                Finite(byName["rows"], model),
                Finite(byName["rejected"], model) + Finite(byName["late"], model),
                Finite(byName["busy"], model),
                FleetWide: true);
        }

        return result;
    }

    /// <summary>Runs one instant query; returns its value by model.</summary>
    private async Task<Dictionary<string, double>> QueryAsync(string query, CancellationToken cancellationToken)
    {
        var uri = new Uri($"{_queryUrl.AbsoluteUri}?query={Uri.EscapeDataString(query)}");
        using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        if (!response.IsSuccessStatusCode || root.GetProperty("status").GetString() != "success")
        {
            var error = root.TryGetProperty("error", out var e) ? e.GetString() : body;
            throw new HttpRequestException($"Prometheus at {_queryUrl} answered {(int)response.StatusCode} to '{query}': {error}");
        }

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var series in root.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            if (series.GetProperty("metric").TryGetProperty("model", out var model)
                && model.GetString() is { } name
                && TryParseValue(series.GetProperty("value")[1].GetString() ?? "NaN", out var value))
            {
                values[name] = value;
            }
        }

        return values;
    }

    private static double Finite(Dictionary<string, double> values, string model) =>
        values.TryGetValue(model, out var v) && double.IsFinite(v) ? v : 0;

    private static TimeSpan? Seconds(Dictionary<string, double> values, string model) =>
        values.TryGetValue(model, out var v) && double.IsFinite(v) ? TimeSpan.FromSeconds(v) : null;

    /// <summary>A PromQL duration: whole seconds as <c>30s</c>, otherwise milliseconds.</summary>
    internal static string Duration(TimeSpan span) =>
        span.Ticks % TimeSpan.TicksPerSecond == 0
            ? ((long)span.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s"
            : Math.Max(1, (long)Math.Round(span.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";

    public void Dispose()
    {
        if (_ownsClient)
        {
            _http.Dispose();
        }
    }

    /// <summary>A sample value as Prometheus writes it: a float, <c>+Inf</c>, <c>-Inf</c> or <c>NaN</c>.</summary>
    internal static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf":
            case "Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            case "NaN":
                value = double.NaN;
                return true;
            default:
                return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out value);
        }
    }
}
