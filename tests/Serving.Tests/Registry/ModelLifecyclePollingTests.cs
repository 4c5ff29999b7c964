using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serving.Batching;
using Serving.Execution;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Tests.Registry;

/// <summary>The repository is scanned every <c>Serving:Models:PollInterval</c> on the injected clock, and a model that cannot load shows why without stopping the others.</summary>
public sealed class ModelLifecyclePollingTests : IAsyncDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("serving-poll-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-30T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ModelRegistry _registry = new();
    private readonly ServingMetrics _metrics = new();
    private ModelLifecycle? _lifecycle;

    public async ValueTask DisposeAsync()
    {
        if (_lifecycle is not null)
        {
            await _lifecycle.StopAsync(CancellationToken.None);
            _lifecycle.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_model_added_between_polls_is_seen_at_the_next_tick_of_the_clock()
    {
        await StartAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(_registry.Models);
        WriteBrokenModel("late");

        var published = _registry.NextPublication;
        _time.Advance(TimeSpan.FromSeconds(10));
        await published.WaitAsync(TimeSpan.FromSeconds(30));

        var late = Assert.Single(_registry.Models);
        Assert.Equal("late", late.Name);
        var status = Assert.Single(late.Statuses);
        Assert.Equal(VersionState.Failed, status.State);
        Assert.Contains(Path.Combine("late", "config.json"), status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, _metrics.ModelLoadFailures.WithLabels("late").Value);
    }

    [Fact]
    public async Task A_problem_that_does_not_change_is_counted_and_logged_once()
    {
        WriteBrokenModel("bad");
        await StartAsync(TimeSpan.FromSeconds(5));

        for (var tick = 0; tick < 3; tick++)
        {
            var published = _registry.NextPublication;
            _time.Advance(TimeSpan.FromSeconds(5));
            await published.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(1, _metrics.ModelLoadFailures.WithLabels("bad").Value);
    }

    [Fact]
    public async Task Fail_fast_stops_start_up_naming_the_failure()
    {
        WriteBrokenModel("bad");

        var ex = await Assert.ThrowsAsync<Serving.Models.ModelConfigException>(() => StartAsync(TimeSpan.Zero, failFast: true));

        Assert.Contains("Serving:Models:FailFast", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad", ex.Message, StringComparison.Ordinal);
        _lifecycle = null;
    }

    private async Task StartAsync(TimeSpan pollInterval, bool failFast = false)
    {
        var options = new ModelRepositoryOptions { ModelRepositoryPath = _root, Models = { PollInterval = pollInterval, FailFast = failFast } };
        _lifecycle = new ModelLifecycle(
            _registry,
            Options.Create(options),
            Options.Create(new BatchingOptions()),
            Options.Create(new DevicesOptions()),
            _metrics,
            new GpuAvailability(),
            _time,
            NullLoggerFactory.Instance);
        await _lifecycle.StartAsync(CancellationToken.None);
    }

    /// <summary>A model folder whose config.json is not valid: found and reported without loading any ONNX graph.</summary>
    private void WriteBrokenModel(string name)
    {
        var folder = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.Combine(folder, "1"));
        File.WriteAllText(Path.Combine(folder, "config.json"), """{ "name": "x", "versionPolicy": { "latest": 0 } }""");
        File.WriteAllBytes(Path.Combine(folder, "1", "model.onnx"), [1, 2, 3]);
    }
}
