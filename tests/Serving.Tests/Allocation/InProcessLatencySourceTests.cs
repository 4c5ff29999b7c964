using Microsoft.Extensions.Time.Testing;
using Serving.Allocation;
using Serving.Telemetry;

namespace Serving.Tests.Allocation;

public class InProcessLatencySourceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ServingMetrics _metrics = new();

    [Fact]
    public async Task Each_read_covers_the_time_since_the_previous_one()
    {
        using var source = new InProcessLatencySource(_metrics, _time);

        // First window: 100 requests, 99 at 1.5 ms and one at 40 ms; 150 rows each; 0.4 s of compute.
        for (var i = 0; i < 99; i++)
        {
            Answer("m", 0.0015, rows: 150);
        }

        Answer("m", 0.040, rows: 150);
        _metrics.RecordBatch("m", "1", Batch("cpu", 0.3));
        _metrics.RecordBatch("m", "1", Batch("gpu", 0.1));
        for (var i = 0; i < 3; i++)
        {
            _metrics.RecordRejection("m", "queue_full");
        }

        for (var i = 0; i < 50; i++)
        {
            _metrics.RecordRejection("m", "draining");
        }

        _metrics.RecordDeadlineExceeded("m");
        _metrics.RecordDeadlineExceeded("m");
        _time.Advance(TimeSpan.FromSeconds(2));

        var first = (await source.ReadAsync(["m", "idle"], CancellationToken.None))["m"];

        Assert.Equal(TimeSpan.FromSeconds(2), first.Window);
        Assert.Equal(100, first.Count);
        Assert.Equal(50, first.RequestRate, 9);
        Assert.Equal(7500, first.RowRate, 9);
        Assert.Equal(0.2, first.BusyReplicaSeconds, 9);
        Assert.Equal(2.5, first.MissRate, 9); // queue_full and deadline exceeded; draining is not a miss
        Assert.False(first.FleetWide);

        // The 99th of 100 is in the (1, 1.5 ms] bucket: the same figure histogram_quantile gives.
        var expected = HistogramQuantile.Compute(0.99, ServingMetrics.LatencyBucketsSeconds.Append(double.PositiveInfinity).ToArray(), Cumulative(99, 1));
        Assert.Equal(expected!.Value, first.P99!.Value.TotalSeconds, 9);
        Assert.InRange(first.P99.Value.TotalMilliseconds, 1, 1.5);

        // Second window: only what happened since. 20 requests at 30 ms.
        for (var i = 0; i < 20; i++)
        {
            Answer("m", 0.030, rows: 10);
        }

        _time.Advance(TimeSpan.FromSeconds(4));
        var second = (await source.ReadAsync(["m"], CancellationToken.None))["m"];

        Assert.Equal(TimeSpan.FromSeconds(4), second.Window);
        Assert.Equal(20, second.Count);
        Assert.Equal(50, second.RowRate, 9);
        Assert.Equal(0, second.BusyReplicaSeconds);
        Assert.Equal(0, second.MissRate);
        Assert.InRange(second.P99!.Value.TotalMilliseconds, 25, 30);
    }

    [Fact]
    public async Task The_pod_load_counts_every_model_and_the_process_cpu()
    {
        var cpu = TimeSpan.FromSeconds(10);
        using var source = new InProcessLatencySource(_metrics, _time, () => cpu, cores: 4);
        for (var i = 0; i < 30; i++)
        {
            Answer("a", 0.002, rows: 100);
            Answer("b", 0.002, rows: 50);
        }

        cpu += TimeSpan.FromSeconds(3);
        _time.Advance(TimeSpan.FromSeconds(2));
        await source.ReadAsync(["a"], CancellationToken.None);

        var pod = source.LastPodLoad!;
        Assert.Equal(1.5, pod.CpuSecondsPerSecond, 9);
        Assert.Equal(0.375, pod.CpuRatio, 9);
        Assert.Equal(2250, pod.RowRate, 9); // both models, though only "a" was asked for
        Assert.Equal(60, pod.Count);
        Assert.Equal(1.5 / 2250, pod.CpuSecondsPerRow!.Value, 12);
    }

    [Fact]
    public void The_totals_put_each_latency_in_the_bucket_prometheus_would()
    {
        var totals = new LatencyTotals([0.001, 0.002]);
        totals.Request("m", 0.0005, 1);
        totals.Request("m", 0.001, 1);   // on a bound: "le" is inclusive
        totals.Request("m", 0.0015, 1);
        totals.Request("m", 5, 1);       // above every bound: +Inf

        var read = totals.Read()["m"];

        Assert.Equal([2.0, 3.0, 4.0], read.CumulativeCounts);
        Assert.Equal(new[] { 0.001, 0.002, double.PositiveInfinity }, totals.UpperBounds());
        Assert.Equal(4, read.Rows);
    }

    [Fact]
    public async Task A_model_without_traffic_gets_an_empty_window()
    {
        using var source = new InProcessLatencySource(_metrics, _time);
        _time.Advance(TimeSpan.FromSeconds(2));

        var idle = (await source.ReadAsync(["idle"], CancellationToken.None))["idle"];

        Assert.Equal(0, idle.Count);
        Assert.Null(idle.P99);
        Assert.Equal(TimeSpan.FromSeconds(2), idle.Window);
    }

    private static Serving.Batching.BatchExecution Batch(string device, double computeSeconds) =>
        new(device, 10, TimeSpan.Zero, TimeSpan.FromSeconds(computeSeconds));

    private void Answer(string model, double seconds, int rows) => _metrics.ForVersion(model, "1").RecordRequest(TimeSpan.FromSeconds(seconds), new float[rows]);

    /// <summary>Cumulative counts over the latency buckets for <paramref name="fast"/> at 1.5 ms and <paramref name="slow"/> at 40 ms.</summary>
    private static double[] Cumulative(int fast, int slow) =>
        ServingMetrics.LatencyBucketsSeconds.Append(double.PositiveInfinity)
            .Select(le => (le >= 0.0015 ? fast : 0) + (le >= 0.040 ? slow : 0.0))
            .ToArray();
}
