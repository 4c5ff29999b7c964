using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Batching;
using Serving.Execution;
using Serving.Hosting;
using Serving.Models;

namespace Serving.Tests;

/// <summary>Every component's options are checked at start-up from their annotations, and every problem is reported at once, by its key.</summary>
public class OptionsValidationTests
{
    [Fact]
    public void The_shipped_defaults_are_valid()
    {
        Validate([]);
    }

    [Fact]
    public void Start_up_reports_every_invalid_setting_of_every_component_at_once()
    {
        var error = Assert.Throws<AggregateException>(() => Validate(new()
        {
            ["Serving:Batching:TargetBatchRows"] = "0",
            ["Serving:Batching:MaxQueueDelay"] = "00:05:00",
            ["Serving:Devices:Cpu:Replicas"] = "0",
            ["Serving:Devices:Gpu:Resilience:FailureRatio"] = "2",
            ["Serving:MinInFlightRequests"] = "0",
            ["Serving:Drain:Timeout"] = "-00:00:01",
            ["Serving:MaxCandidatesPerRequest"] = "0",
            ["Serving:Allocator:MinBatchRows"] = "0",
        }));

        var messages = string.Join("\n", error.InnerExceptions.Select(e => e.Message));
        Assert.True(messages.Contains("Serving:Batching:TargetBatchRows must be in [1, 1048576]", StringComparison.Ordinal), messages);
        Assert.True(messages.Contains("Serving:Batching:MaxQueueDelay must be in [00:00:00, 00:01:00]", StringComparison.Ordinal), messages);
        Assert.True(messages.Contains("Serving:Devices:Cpu:Replicas must be in [1, 256]", StringComparison.Ordinal), messages);
        Assert.True(messages.Contains("Serving:Devices:Gpu:Resilience:FailureRatio must be in [0.001, 1]", StringComparison.Ordinal), messages);
        Assert.True(messages.Contains("Serving:MinInFlightRequests must be in [1, 2147483647]", StringComparison.Ordinal), messages);
        Assert.True(messages.Contains("Serving:Drain:Timeout must be in", StringComparison.Ordinal), messages);
        Assert.True(messages.Contains("Serving:MaxCandidatesPerRequest must be in [1, 1048576]", StringComparison.Ordinal), messages);
        Assert.True(messages.Contains("Serving:Allocator:MinBatchRows must be >= 1", StringComparison.Ordinal), messages);
    }

    [Fact]
    public void A_rule_across_settings_is_checked_too()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Validate(new()
        {
            ["Serving:Batching:TargetBatchRows"] = "512",
            ["Serving:Batching:MaxBatchRows"] = "256",
            ["Serving:Batching:MaxQueuedRows"] = "1000",
        }));

        Assert.Contains("Serving:Batching:TargetBatchRows (512) must be <= Serving:Batching:MaxBatchRows (256)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Serving:Batching:MaxQueuedRows (1000) must be >= Serving:MaxCandidatesPerRequest (4096)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_config_that_overrides_batching_badly_names_its_file_and_every_problem()
    {
        var error = Assert.Throws<ModelConfigException>(() => new BatchingOptions().WithOverrides(
            new BatchingDocument { TargetBatchRows = 2048, MaxQueueDelayMs = -1 }, "models/m/config.json"));

        Assert.Equal("models/m/config.json", error.Path);
        Assert.Contains("Serving:Batching:MaxQueueDelay must be in", error.Problem, StringComparison.Ordinal);
        Assert.Contains("TargetBatchRows (2048) must be <= Serving:Batching:MaxBatchRows (1024)", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_config_overrides_only_what_it_sets()
    {
        var defaults = new BatchingOptions { MaxQueueDelay = TimeSpan.FromMilliseconds(3) };

        var merged = defaults.WithOverrides(new BatchingDocument { Mode = "static", TargetBatchRows = 64 }, "m/config.json");
        var devices = new DevicesOptions().WithOverrides(new DevicesDocument { Cpu = new CpuDeviceDocument { Replicas = 3 } }, "m/config.json");

        Assert.Equal((BatchingMode.Static, 64, 1024, TimeSpan.FromMilliseconds(3)), (merged.Mode, merged.TargetBatchRows, merged.MaxBatchRows, merged.MaxQueueDelay));
        Assert.Equal((3, 1), (devices.Cpu.Replicas, devices.Cpu.IntraOpThreads));
        Assert.Equal(TimeSpan.FromMilliseconds(3), defaults.MaxQueueDelay);
        Assert.Equal(256, defaults.TargetBatchRows);
    }

    [Fact]
    public void A_model_config_with_bad_devices_names_its_file()
    {
        var error = Assert.Throws<ModelConfigException>(() => new DevicesOptions().WithOverrides(
            new DevicesDocument { Gpu = new GpuDeviceDocument { ReplicasPerDevice = 0 } }, "models/m/config.json"));

        Assert.Contains("Serving:Devices:Gpu:ReplicasPerDevice must be in [1, 256]", error.Problem, StringComparison.Ordinal);
    }

    /// <summary>Runs what the host runs at start: every options type registered with ValidateOnStart.</summary>
    private static void Validate(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddServing(configuration);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
    }
}
