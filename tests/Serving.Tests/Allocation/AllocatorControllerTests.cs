using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serving.Allocation;
using Serving.Telemetry;

namespace Serving.Tests.Allocation;

public class AllocatorControllerTests
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly ServingMetrics _serving = new();
    private readonly FakeModel _model = new("ctr");
    private readonly FakeLatencySource _source = new();
    private readonly CapturingLogger<AllocatorController> _log = new();
    private readonly AllocatorOptions _options = new();

    [Fact]
    public async Task A_step_applies_the_decisions_and_shows_them_in_logs_metrics_and_the_report()
    {
        var (controller, state) = Build();

        // p99 above the SLO at 5% busy: smaller batches and a shorter wait.
        _source.Next["ctr"] = Snapshot(p99Ms: 25, busy: 0.1);
        _time.Advance(TimeSpan.FromSeconds(2));
        await controller.StepAsync(CancellationToken.None);

        Assert.Equal(128, _model.TargetBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(1), _model.MaxQueueDelay);

        var line = Assert.Single(_log.Entries, e => e.Message.Contains("target_batch_rows", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        var fields = line.State.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("ctr", fields["Model"]);
        Assert.Equal("down", fields["Direction"]);
        Assert.Equal(256.0, fields["From"]);
        Assert.Equal(128.0, fields["To"]);
        Assert.Equal("25", fields["P99Ms"]);
        Assert.Contains("above the SLO", (string)fields["Reason"]!, StringComparison.Ordinal);

        var metrics = await Export();
        Assert.Contains("serving_controller_target_batch_rows{model=\"ctr\"} 128", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_controller_max_queue_delay_seconds{model=\"ctr\"} 0.001", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_controller_replicas{model=\"ctr\",device=\"cpu\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_controller_decisions_total{model=\"ctr\",knob=\"target_batch_rows\",direction=\"down\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_controller_p99_seconds{model=\"ctr\"} 0.025", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_slo_headroom_ratio{model=\"ctr\"} -1.5", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_desired_replicas{model=\"ctr\"} ", metrics, StringComparison.Ordinal);

        var report = state.Report();
        var model = Assert.Single(report.Models);
        Assert.Equal(128, model.Settings.TargetBatchRows);
        Assert.Equal(1, model.Settings.MaxQueueDelayMs);
        Assert.Equal(2, model.Settings.Replicas["cpu"]);
        Assert.Equal(25, model.LastMeasurement!.P99Ms);
        Assert.Equal(2, model.Decisions.Count);
        Assert.Equal(_time.GetUtcNow(), model.Decisions[0].At);
        Assert.Equal(_time.GetUtcNow(), report.LastStep);

        var json = JsonSerializer.Serialize(report, WebJson);
        using var doc = JsonDocument.Parse(json);
        var first = doc.RootElement.GetProperty("models")[0];
        Assert.Equal(128, first.GetProperty("settings").GetProperty("targetBatchRows").GetInt32());
        Assert.Equal("down", first.GetProperty("decisions")[0].GetProperty("direction").GetString());
        Assert.True(first.GetProperty("decisions")[0].GetProperty("inputs").GetProperty("p99Ms").GetDouble() > 10);
    }

    [Fact]
    public async Task The_decision_log_keeps_the_last_n_newest_first()
    {
        _options.DecisionLogSize = 3;
        _options.MinBatchRows = 1;
        var (controller, state) = Build();
        _source.Next["ctr"] = Snapshot(p99Ms: 25, busy: 0.1);

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(2));
            await controller.StepAsync(CancellationToken.None);
        }

        var decisions = state.Report().Models[0].Decisions;
        Assert.Equal(3, decisions.Count);
        Assert.True(decisions[0].At >= decisions[1].At && decisions[1].At >= decisions[2].At);
        Assert.Equal(_time.GetUtcNow(), decisions[0].At);
    }

    [Fact]
    public async Task When_the_source_fails_settings_hold_and_the_failure_is_counted_and_reported()
    {
        var (controller, state) = Build();
        _source.Failure = new HttpRequestException("connection refused");

        _time.Advance(TimeSpan.FromSeconds(2));
        await controller.StepAsync(CancellationToken.None);

        Assert.Equal(256, _model.TargetBatchRows);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("connection refused", StringComparison.Ordinal));
        Assert.Contains("serving_controller_source_errors_total{source=\"Fake\"} 1", await Export(), StringComparison.Ordinal);
        var report = state.Report();
        Assert.Equal("connection refused", report.LastSourceError!.Error);
    }

    [Fact]
    public async Task Pins_from_configuration_are_applied_and_reported()
    {
        _options.Models["ctr"] = new ModelAllocatorOptions { TargetBatchRows = 96, Replicas = { ["cpu"] = 1 } };
        var (controller, state) = Build();
        _source.Next["ctr"] = Snapshot(p99Ms: 3, busy: 0.1);

        _time.Advance(TimeSpan.FromSeconds(2));
        await controller.StepAsync(CancellationToken.None);

        Assert.Equal(96, _model.TargetBatchRows);
        Assert.Equal(1, _model.Pools["cpu"].Active);
        var pins = state.Report().Models[0].Pins;
        Assert.Equal(96, pins.TargetBatchRows);
        Assert.Equal(1, pins.Replicas["cpu"]);
    }

    [Fact]
    public async Task The_service_steps_once_per_interval_on_the_injected_clock()
    {
        var (controller, _) = Build();
        _source.Next["ctr"] = Snapshot(p99Ms: 3, busy: 0.1);
        using var service = new AllocatorService(controller, Options.Create(_options), _time, NullLogger<AllocatorService>.Instance);
        await service.StartAsync(CancellationToken.None);
        Assert.Equal(0, _source.Reads);

        for (var step = 1; step <= 3; step++)
        {
            var read = _source.NextRead;
            _time.Advance(_options.Interval);
            await read.WaitAsync(TimeSpan.FromSeconds(30));
        }

        await service.StopAsync(CancellationToken.None);
        Assert.Equal(3, _source.Reads);
    }

    [Fact]
    public async Task A_disabled_controller_never_reads_or_changes_anything()
    {
        _options.Enabled = false;
        var (controller, _) = Build();
        using var service = new AllocatorService(controller, Options.Create(_options), _time, NullLogger<AllocatorService>.Instance);

        await service.StartAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMinutes(1));
        await service.StopAsync(CancellationToken.None);

        Assert.Equal(0, _source.Reads);
        Assert.Equal(256, _model.TargetBatchRows);
    }

    private (AllocatorController Controller, AllocatorState State) Build()
    {
        var models = new FakeModelSource(_model);
        var state = new AllocatorState(_options, models, _source.Name);
        var controller = new AllocatorController(models, _source, null, new AllocatorPolicy(_options), new AllocatorMetrics(_serving), state, _time, _log);
        return (controller, state);
    }

    private static LatencySnapshot Snapshot(double p99Ms, double busy) =>
        new(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(p99Ms), TimeSpan.FromMilliseconds(p99Ms / 3), 200, 100, 16_500, 0, busy * 2, FleetWide: false);

    private async Task<string> Export()
    {
        using var stream = new MemoryStream();
        await _serving.Registry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
