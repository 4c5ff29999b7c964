using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Serving.Allocation;

namespace Serving.Tests.Allocation;

public class PrometheusLatencySourceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Queries_histogram_quantile_over_the_rate_per_model_with_the_selector_and_window()
    {
        var handler = new CannedPrometheus();
        using var http = new HttpClient(handler);
        using var source = new PrometheusLatencySource(Options(), _time, http);

        var snapshots = await source.ReadAsync(["a", "b"], CancellationToken.None);

        Assert.Equal(7, handler.Queries.Count);
        Assert.Contains(
            "histogram_quantile(0.99, sum by (model, le) (rate(serving_request_duration_seconds_bucket{model!=\"\",namespace=\"ads\"}[30s])))",
            handler.Queries);
        Assert.All(handler.Paths, p => Assert.Equal("/prom/api/v1/query", p));
        var a = snapshots["a"];
        Assert.True(a.FleetWide);
        Assert.Equal(TimeSpan.FromSeconds(30), a.Window);
        Assert.Equal(0.0042, a.P99!.Value.TotalSeconds, 9);
        Assert.Equal(0.0011, a.P50!.Value.TotalSeconds, 9);
        Assert.Equal(40, a.RequestRate);
        Assert.Equal(1200, a.Count);
        Assert.Equal(6600, a.RowRate);
        Assert.Equal(1.3, a.BusyReplicaSeconds);
        Assert.Equal(0.5 + 0.25, a.MissRate);

        // "b" has series but no requests in the window (NaN quantile), and no other series.
        var b = snapshots["b"];
        Assert.Null(b.P99);
        Assert.Equal(0, b.Count);
        Assert.Equal(0, b.RowRate);
    }

    [Fact]
    public async Task An_error_answer_is_reported_with_what_prometheus_said()
    {
        var handler = new CannedPrometheus { Fail = true };
        using var http = new HttpClient(handler);
        using var source = new PrometheusLatencySource(Options(), _time, http);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => source.ReadAsync(["a"], CancellationToken.None));

        Assert.Contains("parse error", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30_000, "30s")]
    [InlineData(1_500, "1500ms")]
    [InlineData(120_000, "120s")]
    public void Windows_are_written_as_promql_durations(int milliseconds, string expected) =>
        Assert.Equal(expected, PrometheusLatencySource.Duration(TimeSpan.FromMilliseconds(milliseconds)));

    private static PrometheusSourceOptions Options() => new()
    {
        Url = new Uri("http://prometheus.test/prom"),
        QueryWindow = TimeSpan.FromSeconds(30),
        Selector = "namespace=\"ads\"",
    };

    /// <summary>Answers each query as a Prometheus server would for two models.</summary>
    private sealed class CannedPrometheus : HttpMessageHandler
    {
        public bool Fail { get; init; }
        public List<string> Queries { get; } = [];
        public List<string> Paths { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = Uri.UnescapeDataString(request.RequestUri!.Query["?query=".Length..]);
            lock (Queries)
            {
                Queries.Add(query);
                Paths.Add(request.RequestUri.AbsolutePath);
            }

            if (Fail)
            {
                return Task.FromResult(Json(HttpStatusCode.BadRequest, """{"status":"error","errorType":"bad_data","error":"1:1: parse error: unexpected"}"""));
            }

            var (a, b) = query switch
            {
                _ when query.StartsWith("histogram_quantile(0.99", StringComparison.Ordinal) => ("0.0042", "NaN"),
                _ when query.StartsWith("histogram_quantile(0.5", StringComparison.Ordinal) => ("0.0011", "NaN"),
                _ when query.Contains("_count", StringComparison.Ordinal) => ("40", "0"),
                _ when query.Contains("candidates", StringComparison.Ordinal) => ("6600", null),
                _ when query.Contains("compute", StringComparison.Ordinal) => ("1.3", null),
                _ when query.Contains("rejections", StringComparison.Ordinal) => ("0.5", null),
                _ => ("0.25", (string?)null),
            };
            var series = $$"""{"metric":{"model":"a"},"value":[1700000000.1,"{{a}}"]}""";
            if (b is not null)
            {
                series += $$""",{"metric":{"model":"b"},"value":[1700000000.1,"{{b}}"]}""";
            }

            return Task.FromResult(Json(HttpStatusCode.OK, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" + series + "]}}"));
        }

        private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
            new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    }
}
