using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Serving.Models;

namespace Serving.Allocation;

/// <summary>
/// The allocator controller (<c>Serving:Allocator</c>): how often it runs, where it measures, the
/// latency target, the bounds, steps, hysteresis and cooldowns of every knob, and per-model pins.
/// docs/allocator.md explains each. Validated at start by <see cref="AllocatorOptionsValidator"/>:
/// each setting's own range by its attribute, the rules between settings by <see cref="Validate"/>.
/// </summary>
public sealed class AllocatorOptions : IValidatableObject
{
    public const string SectionName = "Serving:Allocator";

    /// <summary>False: the controller never runs; settings stay as configured.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two control steps.</summary>
    [SettingRange(SectionName, "00:00:00", SettingRangeAttribute.NoLimit, MinimumIsExclusive = true, ErrorMessage = "{0} must be > 0")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    public LatencySourceKind LatencySource { get; set; } = LatencySourceKind.InProcess;

    [ValidateObjectMembers]
    public PrometheusSourceOptions Prometheus { get; set; } = new();

    /// <summary>The p99 the controller aims at, as a fraction of the model's SLO.</summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1]")]
    public double TargetFraction { get; set; } = 0.8;

    /// <summary>Dead band below the target: settings grow only while p99 &lt; target × (1 − hysteresis).</summary>
    [SettingRange(SectionName, 0.0, 1.0, MaximumIsExclusive = true, ErrorMessage = "{0} must be in [0, 1)")]
    public double Hysteresis { get; set; } = 0.25;

    /// <summary>Requests a window needs before its p99 is acted on.</summary>
    [SettingRange(SectionName, 1, int.MaxValue, ErrorMessage = "{0} must be >= 1")]
    public int MinSamples { get; set; } = 20;

    /// <summary>Share of requests refused or past their deadline above which the SLO counts as violated whatever the p99 of the answered ones.</summary>
    [SettingRange(SectionName, 0.0, 1.0, ErrorMessage = "{0} must be in [0, 1]")]
    public double MaxMissRatio { get; set; } = 0.01;

    /// <summary>Smallest target batch rows the controller sets.</summary>
    [SettingRange(SectionName, 1, int.MaxValue, ErrorMessage = "{0} must be >= 1")]
    public int MinBatchRows { get; set; } = 8;

    /// <summary>Largest target batch rows the controller sets; null: the model's MaxBatchRows. At least <see cref="MinBatchRows"/>.</summary>
    public int? MaxBatchRows { get; set; }

    /// <summary>Rows added per increase of the target batch rows.</summary>
    [SettingRange(SectionName, 1, int.MaxValue, ErrorMessage = "{0} must be >= 1")]
    public int BatchRowsStep { get; set; } = 32;

    /// <summary>Smallest max queue delay the controller sets.</summary>
    [SettingRange(SectionName, "00:00:00", SettingRangeAttribute.NoLimit, ErrorMessage = "{0} must be >= 0")]
    public TimeSpan MinQueueDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Largest max queue delay the controller sets; null: half the model's SLO in batching mode
    /// <c>adaptive</c> (whose deadline-aware dispatch sends a batch early when its rows need it),
    /// a quarter of it in <c>static</c>. At least <see cref="MinQueueDelay"/>.
    /// </summary>
    public TimeSpan? MaxQueueDelay { get; set; }

    /// <summary>Added per increase of the max queue delay.</summary>
    [SettingRange(SectionName, "00:00:00", SettingRangeAttribute.NoLimit, MinimumIsExclusive = true, ErrorMessage = "{0} must be > 0")]
    public TimeSpan QueueDelayStep { get; set; } = TimeSpan.FromMilliseconds(0.25);

    /// <summary>Multiplier on a knob when p99 is above the target but within the SLO.</summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1)")]
    public double DecreaseFactor { get; set; } = 0.8;

    /// <summary>Multiplier on a knob when p99 is above the SLO (or too many requests missed).</summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, MaximumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1)")]
    public double ViolationDecreaseFactor { get; set; } = 0.5;

    /// <summary>Least time between an increase and the previous change of the same knob (never shorter than the measurement window).</summary>
    [SettingRange(SectionName, "00:00:00", SettingRangeAttribute.NoLimit, ErrorMessage = "{0} must be >= 0")]
    public TimeSpan IncreaseCooldown { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>How long the setting at which p99 went over the target stays a ceiling (while the load stays within <see cref="LoadChangeTolerance"/>).</summary>
    [SettingRange(SectionName, "00:00:00", SettingRangeAttribute.NoLimit, ErrorMessage = "{0} must be >= 0")]
    public TimeSpan CeilingMemory { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Relative change of the row rate that makes a remembered ceiling stale.</summary>
    [SettingRange(SectionName, 0.0, double.MaxValue, MinimumIsExclusive = true, ErrorMessage = "{0} must be > 0")]
    public double LoadChangeTolerance { get; set; } = 0.25;

    /// <summary>Busy share of the active replicas above which the model counts as overloaded (queueing, not batch size, drives p99).</summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1]")]
    public double HighUtilization { get; set; } = 0.85;

    /// <summary>Least relative capacity gain (cost model) for which a larger batch is worth it under overload.</summary>
    [SettingRange(SectionName, 0.0, double.MaxValue, ErrorMessage = "{0} must be >= 0")]
    public double MinCapacityGain { get; set; } = 0.05;

    /// <summary>Fewest active session replicas per device.</summary>
    [SettingRange(SectionName, 1, int.MaxValue, ErrorMessage = "{0} must be >= 1")]
    public int MinReplicas { get; set; } = 1;

    /// <summary>Most active session replicas per device; null: every loaded replica. At least <see cref="MinReplicas"/>.</summary>
    public int? MaxReplicas { get; set; }

    /// <summary>Busy share of the active replicas at which one more is activated.</summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1]")]
    public double ReplicaAddUtilization { get; set; } = 0.75;

    /// <summary>A replica is deactivated when the others would be busy at most this share of the time. Below <see cref="ReplicaAddUtilization"/>.</summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1]")]
    public double ReplicaRemoveUtilization { get; set; } = 0.35;

    /// <summary>Least time between two replica changes of a model.</summary>
    [SettingRange(SectionName, "00:00:00", SettingRangeAttribute.NoLimit, ErrorMessage = "{0} must be >= 0")]
    public TimeSpan ReplicaCooldown { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the model must stay idle (below the remove utilisation) before a replica is deactivated.</summary>
    [SettingRange(SectionName, "00:00:00", SettingRangeAttribute.NoLimit, ErrorMessage = "{0} must be >= 0")]
    public TimeSpan ReplicaIdleHold { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Busy share of every replica of a pod at which the fleet signal counts one pod as fully used.</summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1]")]
    public double TargetUtilization { get; set; } = 0.7;

    /// <summary>
    /// Share of the utilisation-derived capacity of one pod that the fleet signal counts while this
    /// pod's p99 is at the target p99 (or its refused or late share at <see cref="MaxMissRatio"/>);
    /// 1 at or below the low-water mark, linear in between. 1 turns the latency-aware capacity off.
    /// </summary>
    [SettingRange(SectionName, 0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "{0} must be in (0, 1]")]
    public double CapacityAtTarget { get; set; } = 0.7;

    /// <summary>Pods serving the model, used to turn this pod's load into the fleet's when the source is in-process.</summary>
    [SettingRange(SectionName, 1, int.MaxValue, ErrorMessage = "{0} must be >= 1")]
    public int FleetPods { get; set; } = 1;

    /// <summary>Decisions kept per model for <c>GET /v1/allocator</c>.</summary>
    [SettingRange(SectionName, 1, int.MaxValue, ErrorMessage = "{0} must be >= 1")]
    public int DecisionLogSize { get; set; } = 50;

    /// <summary>Per model (by name): pins and opt-out.</summary>
    public Dictionary<string, ModelAllocatorOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The options of one model; defaults (nothing pinned) when it has none.</summary>
    public ModelAllocatorOptions For(string model) => Models.TryGetValue(model, out var options) ? options : ModelAllocatorOptions.Default;

    /// <summary>The rules between settings, and the per-model pins: every broken one, each naming its key.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxBatchRows is { } maxRows && maxRows < MinBatchRows)
        {
            yield return Problem(nameof(MaxBatchRows), $"{Key(nameof(MaxBatchRows))} must be >= MinBatchRows ({MinBatchRows})");
        }

        if (MaxQueueDelay is { } maxDelay && maxDelay < MinQueueDelay)
        {
            yield return Problem(nameof(MaxQueueDelay), $"{Key(nameof(MaxQueueDelay))} must be >= MinQueueDelay ({MinQueueDelay})");
        }

        if (MaxReplicas is { } maxReplicas && maxReplicas < MinReplicas)
        {
            yield return Problem(nameof(MaxReplicas), $"{Key(nameof(MaxReplicas))} must be >= MinReplicas ({MinReplicas})");
        }

        if (ReplicaRemoveUtilization >= ReplicaAddUtilization)
        {
            yield return Problem(nameof(ReplicaRemoveUtilization), $"{Key(nameof(ReplicaRemoveUtilization))} must be < ReplicaAddUtilization ({ReplicaAddUtilization})");
        }

        if (LatencySource == LatencySourceKind.Prometheus && Prometheus.Url is null)
        {
            yield return Problem(nameof(Prometheus), $"{Key("Prometheus:Url")} is required when LatencySource is Prometheus");
        }

        foreach (var (name, model) in Models)
        {
            if (model.TargetBatchRows is < 1)
            {
                yield return Problem(nameof(Models), $"{Key($"Models:{name}:TargetBatchRows")} must be >= 1");
            }

            if (model.MaxQueueDelay is { } delay && delay < TimeSpan.Zero)
            {
                yield return Problem(nameof(Models), $"{Key($"Models:{name}:MaxQueueDelay")} must be >= 0");
            }

            foreach (var (device, replicas) in model.Replicas)
            {
                if (replicas < 1)
                {
                    yield return Problem(nameof(Models), $"{Key($"Models:{name}:Replicas:{device}")} must be >= 1");
                }
            }
        }
    }

    /// <summary>The configuration key of a setting: <c>Serving:Allocator:</c> and its path (<c>Prometheus:Url</c>).</summary>
    internal static string Key(string path) => $"{SectionName}:{path}";

    private static ValidationResult Problem(string member, string message) => new(message, [member]);
}
