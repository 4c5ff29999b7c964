using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Allocation;
using Serving.Hosting;

namespace Serving.Tests.Allocation;

public class AllocatorOptionsTests
{
    [Fact]
    public void Binds_every_setting_and_per_model_pins_from_configuration()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Serving:Allocator:Interval"] = "00:00:01",
            ["Serving:Allocator:LatencySource"] = "Prometheus",
            ["Serving:Allocator:Prometheus:Url"] = "http://127.0.0.1:9090",
            ["Serving:Allocator:Prometheus:QueryWindow"] = "00:01:00",
            ["Serving:Allocator:TargetFraction"] = "0.7",
            ["Serving:Allocator:FleetPods"] = "4",
            ["Serving:Allocator:Models:criteo-deepfm:TargetBatchRows"] = "128",
            ["Serving:Allocator:Models:criteo-deepfm:MaxQueueDelay"] = "00:00:00.0015",
            ["Serving:Allocator:Models:criteo-deepfm:Replicas:cpu"] = "2",
            ["Serving:Allocator:Models:avazu:Enabled"] = "false",
        });

        Assert.Equal(TimeSpan.FromSeconds(1), options.Interval);
        Assert.Equal(LatencySourceKind.Prometheus, options.LatencySource);
        Assert.Equal(new Uri("http://127.0.0.1:9090"), options.Prometheus.Url);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Prometheus.QueryWindow);
        Assert.Equal(0.7, options.TargetFraction);
        Assert.Equal(4, options.FleetPods);
        var pins = options.For("criteo-deepfm");
        Assert.Equal(128, pins.TargetBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), pins.MaxQueueDelay);
        Assert.Equal(2, pins.Replicas["cpu"]);
        Assert.False(options.For("avazu").Enabled);
        Assert.True(options.For("other").Enabled);
        Assert.Null(options.For("other").TargetBatchRows);
    }

    [Fact]
    public void The_defaults_are_valid() => Assert.True(new AllocatorOptionsValidator().Validate(Options.DefaultName, new AllocatorOptions()).Succeeded);

    [Theory]
    [InlineData("Interval", "00:00:00", "Interval")]
    [InlineData("TargetFraction", "1.5", "TargetFraction")]
    [InlineData("MaxBatchRows", "4", "MaxBatchRows")]
    [InlineData("ReplicaRemoveUtilization", "0.9", "ReplicaRemoveUtilization")]
    [InlineData("LatencySource", "Prometheus", "Prometheus:Url")]
    [InlineData("Models:m:TargetBatchRows", "0", "Models:m:TargetBatchRows")]
    [InlineData("MinBatchRows", "0", "MinBatchRows")]
    [InlineData("Hysteresis", "1", "Hysteresis")]
    [InlineData("MinQueueDelay", "-00:00:01", "MinQueueDelay")]
    [InlineData("MaxQueueDelay", "-00:00:01", "MaxQueueDelay")]
    [InlineData("DecreaseFactor", "1", "DecreaseFactor")]
    [InlineData("ReplicaIdleHold", "-00:00:01", "ReplicaIdleHold")]
    [InlineData("MaxReplicas", "0", "MaxReplicas")]
    [InlineData("DecisionLogSize", "0", "DecisionLogSize")]
    [InlineData("CapacityAtTarget", "0", "CapacityAtTarget")]
    [InlineData("CapacityAtTarget", "1.5", "CapacityAtTarget")]
    [InlineData("Prometheus:Timeout", "00:00:00", "Prometheus:Timeout")]
    [InlineData("Models:m:MaxQueueDelay", "-00:00:01", "Models:m:MaxQueueDelay")]
    [InlineData("Models:m:Replicas:cpu", "0", "Models:m:Replicas:cpu")]
    public void An_invalid_setting_stops_start_up_with_its_name(string key, string value, string named)
    {
        var ex = StartUpFailure(new() { ["Serving:Allocator:" + key] = value });

        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Serving:Allocator:" + named, Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Start_up_reports_every_invalid_setting_at_once()
    {
        var ex = StartUpFailure(new()
        {
            ["Serving:Allocator:Interval"] = "00:00:00",
            ["Serving:Allocator:ReplicaRemoveUtilization"] = "0.9",
        });

        Assert.Collection(
            ex.Failures,
            failure => Assert.Contains("Serving:Allocator:Interval must be > 0", failure, StringComparison.Ordinal),
            failure => Assert.Contains("Serving:Allocator:ReplicaRemoveUtilization must be < ReplicaAddUtilization", failure, StringComparison.Ordinal));
        Assert.Contains("Serving:Allocator:Interval", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Serving:Allocator:ReplicaRemoveUtilization", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_configured_latency_source_is_registered()
    {
        using var inProcess = Provider([]);
        Assert.IsType<InProcessLatencySource>(inProcess.GetRequiredService<ILatencySource>());

        using var prometheus = Provider(new() { ["Serving:Allocator:LatencySource"] = "Prometheus", ["Serving:Allocator:Prometheus:Url"] = "http://127.0.0.1:9090" });
        Assert.IsType<PrometheusLatencySource>(prometheus.GetRequiredService<ILatencySource>());
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAllocator(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    private static OptionsValidationException StartUpFailure(Dictionary<string, string?> settings)
    {
        using var provider = Provider(settings);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<AllocatorOptions>>().Value);
    }

    private static AllocatorOptions Bind(Dictionary<string, string?> settings)
    {
        using var provider = Provider(settings);
        return provider.GetRequiredService<IOptions<AllocatorOptions>>().Value;
    }
}
