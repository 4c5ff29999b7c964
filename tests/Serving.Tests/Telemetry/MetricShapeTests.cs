using System.Text;
using Polly.CircuitBreaker;
using Prometheus;
using Serving.Telemetry;

namespace Serving.Tests.Telemetry;

/// <summary>Metric shapes Prometheus conventions ask for: an enum as one series per state, a <c>_total</c> as a counter.</summary>
public sealed class MetricShapeTests
{
    [Fact]
    public async Task The_circuit_state_is_one_series_per_state_with_1_on_the_current_one()
    {
        var metrics = new ServingMetrics();
        var observer = new ModelDeviceObserver(metrics, "ctr");

        observer.CircuitChanged(CircuitState.Open);
        var open = await Export(metrics.Registry);
        observer.CircuitChanged(CircuitState.HalfOpen);
        var halfOpen = await Export(metrics.Registry);

        Assert.Contains("serving_circuit_state{model=\"ctr\",device=\"gpu\",state=\"open\"} 1", open, StringComparison.Ordinal);
        Assert.Contains("serving_circuit_state{model=\"ctr\",device=\"gpu\",state=\"closed\"} 0", open, StringComparison.Ordinal);
        Assert.Contains("serving_circuit_state{model=\"ctr\",device=\"gpu\",state=\"half_open\"} 1", halfOpen, StringComparison.Ordinal);
        Assert.Contains("serving_circuit_state{model=\"ctr\",device=\"gpu\",state=\"open\"} 0", halfOpen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gc_pause_total_is_a_counter()
    {
        var registry = Metrics.NewCustomRegistry();
        RuntimeMetrics.Register(registry);

        var text = await Export(registry);

        Assert.Contains("# TYPE dotnet_gc_pause_seconds_total counter", text, StringComparison.Ordinal);
    }

    private static async Task<string> Export(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
