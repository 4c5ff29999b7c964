using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serving.Allocation;
using Serving.Telemetry;

namespace Serving.IntegrationTests.Allocation;

/// <summary>
/// A server whose allocator reads latency from a real Prometheus, and that Prometheus scraping
/// the server every second.
/// </summary>
public sealed class PrometheusScrapedServer : IAsyncLifetime
{
    public ServerFixture Server { get; } = new();
    public PrometheusServer Prometheus { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (PrometheusServer.FindBinary() is null)
        {
            throw new InvalidOperationException(PrometheusServer.InstallHint);
        }

        // The server must know Prometheus' address before it starts, Prometheus the server's after.
        var prometheusPort = PrometheusServer.FreePort();
        Server.Settings["Serving:Allocator:Enabled"] = "true";
        Server.Settings["Serving:Allocator:LatencySource"] = "Prometheus";
        Server.Settings["Serving:Allocator:Prometheus:Url"] = $"http://127.0.0.1:{prometheusPort}";
        Server.Settings["Serving:Allocator:Prometheus:QueryWindow"] = "00:00:10";
        Server.Settings["Serving:Allocator:Prometheus:Timeout"] = "00:00:05";
        Server.Settings["Serving:Allocator:Interval"] = "00:00:01";
        await Server.InitializeAsync();
        Prometheus = await PrometheusServer.StartAsync(prometheusPort, $"127.0.0.1:{Server.AdminPort}");
    }

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}

public class PrometheusSourceTests(PrometheusScrapedServer fixture) : IClassFixture<PrometheusScrapedServer>
{
    private const string Model = "criteo-deepfm";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private ServerFixture Server => fixture.Server;
    private PrometheusServer Prometheus => fixture.Prometheus;

    [Fact]
    public async Task The_prometheus_source_reads_the_same_p99_as_the_in_process_one_and_drives_the_same_decisions()
    {
        var metrics = Server.Services.GetRequiredService<ServingMetrics>();

        // Start from quiet: every earlier request scraped, and none for the last 5 s, so a window
        // reaching a few seconds before the load sees its whole increase and nothing else.
        await Server.Client.RankAsync(Requests.Synthetic(Model, 10, seed: 1));
        var before = metrics.RequestDuration.WithLabels(Model, "1").Count;
        await WaitForScrapedCount(before);
        await Prometheus.WaitUntilAsync(
            async () => await Prometheus.QueryScalarAsync($"sum(increase(serving_request_duration_seconds_count{{model=\"{Model}\"}}[5s]))") == 0,
            Deadline,
            "5 s without requests in Prometheus");
        var watch = Stopwatch.StartNew();
        using var inProcess = new InProcessLatencySource(metrics, TimeProvider.System);
        await inProcess.ReadAsync([Model], CancellationToken.None);

        var sent = await SendLoad(rounds: 40, concurrency: 8, seed: 1000);

        var total = metrics.RequestDuration.WithLabels(Model, "1").Count;
        Assert.Equal(before + sent, total);
        await WaitForScrapedCount(total);
        var local = (await inProcess.ReadAsync([Model], CancellationToken.None))[Model];

        // A window reaching back into the quiet before the load, so rate() sees all of it.
        var window = TimeSpan.FromSeconds(Math.Ceiling(watch.Elapsed.TotalSeconds) + 3);
        using var prometheus = new PrometheusLatencySource(new PrometheusSourceOptions { Url = Prometheus.Url, QueryWindow = window, Timeout = TimeSpan.FromSeconds(10) }, TimeProvider.System);
        var fleet = (await prometheus.ReadAsync([Model], CancellationToken.None))[Model];

        Assert.Equal(sent, local.Count);
        Assert.True(fleet.FleetWide);
        // rate() extrapolates the increase to the whole window (two scrape intervals more than it saw, at most).
        Assert.InRange(fleet.Count, sent * 0.9, sent * window.TotalSeconds / (window.TotalSeconds - 2.5));
        var buckets = ServingMetrics.LatencyBucketsSeconds.Append(double.PositiveInfinity).ToArray();
        var localP99 = local.P99!.Value.TotalSeconds;
        var fleetP99 = fleet.P99!.Value.TotalSeconds;
        var bucket = HistogramQuantile.BucketOf(localP99, buckets);
        var width = buckets[bucket] - (bucket == 0 ? 0 : buckets[bucket - 1]);
        Assert.True(
            Math.Abs(HistogramQuantile.BucketOf(fleetP99, buckets) - bucket) <= 1 && Math.Abs(fleetP99 - localP99) <= width,
            $"p99 in-process {localP99 * 1000:0.###} ms vs Prometheus {fleetP99 * 1000:0.###} ms (bucket width {width * 1000:0.###} ms)");
        Assert.InRange(fleet.P50!.Value.TotalSeconds, local.P50!.Value.TotalSeconds * 0.8, local.P50.Value.TotalSeconds * 1.25);

        // The same policy fed each view decides the same, whether p99 is well inside the SLO, just
        // above the target, or above the SLO.
        foreach (var slo in new[] { TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(localP99 / 0.9), TimeSpan.FromSeconds(localP99 / 1.25) })
        {
            var fromLocal = Decide(slo, local);
            var fromFleet = Decide(slo, fleet);
            Assert.NotEmpty(fromLocal);
            Assert.Equal(Describe(fromLocal), Describe(fromFleet));
        }
    }

    [Fact]
    public async Task The_servers_own_controller_runs_from_prometheus_and_explains_its_decisions()
    {
        // rate() needs a sample before the load: one request, scraped, then the load.
        await Server.Client.RankAsync(Requests.Synthetic(Model, 10, seed: 2));
        await WaitForScrapedCount(Server.Services.GetRequiredService<ServingMetrics>().RequestDuration.WithLabels(Model, "1").Count);
        await SendLoad(rounds: 30, concurrency: 8, seed: 5000);

        // The controller steps every second from a 10 s window; with a 5 s SLO it grows the batch.
        JsonElement model = default;
        JsonElement decision = default;
        var last = "";
        try
        {
            await Prometheus.WaitUntilAsync(async () =>
            {
                last = await Server.AdminHttp.GetStringAsync("/v1/allocator");
                using var doc = JsonDocument.Parse(last);
                model = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("model").GetString() == Model).Clone();
                decision = model.GetProperty("decisions").EnumerateArray().FirstOrDefault(d => d.GetProperty("knob").GetString() == Knobs.TargetBatchRows);
                return decision.ValueKind == JsonValueKind.Object;
            }, Deadline, "the controller's first batch-size decision at /v1/allocator");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{ex.Message}\nLast /v1/allocator:\n{last}", ex);
        }

        using var report = JsonDocument.Parse(await Server.AdminHttp.GetStringAsync("/v1/allocator"));
        Assert.Equal("Prometheus", report.RootElement.GetProperty("latencySource").GetString());
        Assert.Contains("p99", decision.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(decision.GetProperty("inputs").GetProperty("p99Ms").GetDouble() > 0, decision.ToString());
        Assert.Equal(10, decision.GetProperty("inputs").GetProperty("windowSeconds").GetDouble());
        Assert.True(model.GetProperty("lastMeasurement").GetProperty("at").GetDateTimeOffset() > DateTimeOffset.UnixEpoch);
        Assert.Equal(decision.GetProperty("to").GetDouble(), model.GetProperty("settings").GetProperty("targetBatchRows").GetInt32(), 0);

        var metrics = await Server.AdminHttp.GetStringAsync("/metrics");
        foreach (var series in new[]
        {
            "serving_controller_target_batch_rows{model=\"criteo-deepfm\"}",
            "serving_controller_max_queue_delay_seconds{model=\"criteo-deepfm\"}",
            "serving_controller_replicas{model=\"criteo-deepfm\",device=\"cpu\"}",
            "serving_controller_decisions_total{model=\"criteo-deepfm\"",
            "serving_controller_p99_seconds{model=\"criteo-deepfm\"}",
            "serving_desired_replicas{model=\"criteo-deepfm\"}",
            "serving_slo_headroom_ratio{model=\"criteo-deepfm\"}",
        })
        {
            Assert.Contains(series, metrics, StringComparison.Ordinal);
        }

        // And Prometheus has them too: the fleet signals KEDA reads.
        await Prometheus.WaitUntilAsync(
            async () => await Prometheus.QueryScalarAsync("sum(max by (model) (serving_desired_replicas))") is not null,
            Deadline,
            "serving_desired_replicas in Prometheus");
    }

    private static List<AllocatorDecision> Decide(TimeSpan slo, LatencySnapshot measurement) =>
        new AllocatorPolicy(new AllocatorOptions()).Decide(new ModelObservation
        {
            Model = Model,
            Now = DateTimeOffset.UnixEpoch,
            Slo = slo,
            MaxBatchRows = 1024,
            TargetBatchRows = 256,
            MaxQueueDelay = TimeSpan.FromMilliseconds(1),
            Devices = [new DeviceReplicas("cpu", 2, 2)],
            PredictCompute = rows => TimeSpan.FromTicks(rows),
            Measurement = measurement,
        }).Decisions.ToList();

    private static string Describe(List<AllocatorDecision> decisions) =>
        string.Join("; ", decisions.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Knob} {d.Direction} {d.From} -> {d.To}")));

    private async Task WaitForScrapedCount(double count) =>
        await Prometheus.WaitUntilAsync(
            async () => await Prometheus.QueryScalarAsync($"sum(serving_request_duration_seconds_count{{model=\"{Model}\"}})") >= count,
            Deadline,
            $"Prometheus to scrape {count} requests");

    /// <summary>Sends <paramref name="rounds"/> waves of <paramref name="concurrency"/> requests of 5-200 candidates; returns how many were sent.</summary>
    private async Task<int> SendLoad(int rounds, int concurrency, int seed)
    {
        var sent = 0;
        for (var round = 0; round < rounds; round++)
        {
            var wave = Enumerable.Range(0, concurrency)
                .Select(i => Requests.Synthetic(Model, 5 + (((round * concurrency) + i) % 40 * 5), seed + (round * concurrency) + i))
                .Select(r => Server.Client.RankAsync(r).ResponseAsync);
            var responses = await Task.WhenAll(wave);
            sent += responses.Length;
        }

        return sent;
    }
}
