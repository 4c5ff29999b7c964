namespace Serving.Allocation;

/// <summary>
/// What <c>GET /v1/allocator</c> shows: per model, the last measurement and fleet signals and the
/// last decisions (a bounded log); the current settings are read live from the models.
/// </summary>
public sealed class AllocatorState(AllocatorOptions options, IControlledModelSource models, string sourceName)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ModelRecord> _records = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastStep;
    private string? _sourceError;
    private DateTimeOffset? _sourceErrorAt;

    /// <summary>Records one control step of one model.</summary>
    public void Record(string model, DateTimeOffset at, LatencySnapshot? measurement, ModelPlan plan)
    {
        lock (_lock)
        {
            if (!_records.TryGetValue(model, out var record))
            {
                record = new ModelRecord();
                _records[model] = record;
            }

            record.At = at;
            record.Measurement = measurement;
            record.Plan = plan;
            foreach (var decision in plan.Decisions)
            {
                record.Decisions.Enqueue(decision);
                while (record.Decisions.Count > options.DecisionLogSize)
                {
                    record.Decisions.Dequeue();
                }
            }
        }
    }

    public void StepCompleted(DateTimeOffset at)
    {
        lock (_lock)
        {
            _lastStep = at;
        }
    }

    public void SourceFailed(DateTimeOffset at, string error)
    {
        lock (_lock)
        {
            _sourceError = error;
            _sourceErrorAt = at;
        }
    }

    /// <summary>The last decisions of a model, oldest first.</summary>
    public IReadOnlyList<AllocatorDecision> Decisions(string model)
    {
        lock (_lock)
        {
            return _records.TryGetValue(model, out var record) ? record.Decisions.ToList() : [];
        }
    }

    public AllocatorReport Report()
    {
        lock (_lock)
        {
            var reports = new List<ModelReport>();
            foreach (var model in models.Models)
            {
                _records.TryGetValue(model.Name, out var record);
                var pins = options.For(model.Name);
                var m = record?.Measurement;
                reports.Add(new ModelReport(
                    model.Name,
                    model.Slo.TotalMilliseconds,
                    model.Slo.TotalMilliseconds * options.TargetFraction,
                    model.Mode.ToString(),
                    pins.Enabled && options.Enabled,
                    new SettingsReport(
                        model.TargetBatchRows,
                        model.MaxQueueDelay.TotalMilliseconds,
                        model.Devices.ToDictionary(d => d.Device, d => d.Active, StringComparer.Ordinal),
                        model.Devices.ToDictionary(d => d.Device, d => d.Loaded, StringComparer.Ordinal)),
                    new PinsReport(
                        pins.TargetBatchRows,
                        pins.MaxQueueDelay?.TotalMilliseconds,
                        new Dictionary<string, int>(pins.Replicas, StringComparer.Ordinal)),
                    record is null ? null : new MeasurementReport(
                        record.At,
                        m?.Window.TotalSeconds,
                        m?.P99?.TotalMilliseconds,
                        m?.P50?.TotalMilliseconds,
                        m?.Count,
                        m?.RequestRate,
                        m?.RowRate,
                        m?.MissRatio,
                        record.Plan?.BusyRatio,
                        record.Plan?.BatchRowsCeiling,
                        record.Plan?.CpuRatio,
                        record.Plan?.PodCapacityRows,
                        record.Plan is { } p && double.IsFinite(p.DesiredReplicas) ? p.DesiredReplicas : null,
                        record.Plan?.HeadroomRatio),
                    record?.Decisions.Reverse().ToList() ?? []));
            }

            return new AllocatorReport(
                options.Enabled,
                sourceName,
                options.Interval.TotalSeconds,
                _lastStep,
                _sourceError is null ? null : new SourceErrorReport(_sourceErrorAt!.Value, _sourceError),
                reports);
        }
    }

    private sealed class ModelRecord
    {
        public DateTimeOffset At { get; set; }
        public LatencySnapshot? Measurement { get; set; }
        public ModelPlan? Plan { get; set; }
        public Queue<AllocatorDecision> Decisions { get; } = new();
    }
}

/// <summary>The body of <c>GET /v1/allocator</c>.</summary>
public sealed record AllocatorReport(
    bool Enabled,
    string LatencySource,
    double IntervalSeconds,
    DateTimeOffset? LastStep,
    SourceErrorReport? LastSourceError,
    IReadOnlyList<ModelReport> Models);

/// <summary>The last time the latency source could not be read, and why.</summary>
public sealed record SourceErrorReport(DateTimeOffset At, string Error);

/// <summary>One model in <c>GET /v1/allocator</c>; decisions newest first.</summary>
public sealed record ModelReport(
    string Model,
    double SloMs,
    double TargetP99Ms,
    string BatchingMode,
    bool Controlled,
    SettingsReport Settings,
    PinsReport Pins,
    MeasurementReport? LastMeasurement,
    IReadOnlyList<AllocatorDecision> Decisions);

/// <summary>The settings in force now.</summary>
public sealed record SettingsReport(
    int TargetBatchRows,
    double MaxQueueDelayMs,
    IReadOnlyDictionary<string, int> Replicas,
    IReadOnlyDictionary<string, int> LoadedReplicas);

/// <summary>The knobs pinned by configuration (null: not pinned).</summary>
public sealed record PinsReport(int? TargetBatchRows, double? MaxQueueDelayMs, IReadOnlyDictionary<string, int> Replicas);

/// <summary>The last window the controller measured, and the fleet signals it published.</summary>
public sealed record MeasurementReport(
    DateTimeOffset At,
    double? WindowSeconds,
    double? P99Ms,
    double? P50Ms,
    double? Count,
    double? RequestRate,
    double? RowRate,
    double? MissRatio,
    double? BusyRatio,
    int? BatchRowsCeiling,
    double? PodCpuRatio,
    double? PodCapacityRows,
    double? DesiredReplicas,
    double? SloHeadroomRatio);
