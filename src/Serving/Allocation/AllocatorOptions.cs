namespace Serving.Allocation;

/// <summary>
/// The allocator controller (<c>Serving:Allocator</c>): how often it runs, where it measures, the
/// latency target, the bounds, steps, hysteresis and cooldowns of every knob, and per-model pins.
/// docs/allocator.md explains each.
/// </summary>
public sealed class AllocatorOptions
{
    public const string SectionName = "Serving:Allocator";

    /// <summary>False: the controller never runs; settings stay as configured.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between two control steps.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    public LatencySourceKind LatencySource { get; set; } = LatencySourceKind.InProcess;

    public PrometheusSourceOptions Prometheus { get; set; } = new();

    /// <summary>The p99 the controller aims at, as a fraction of the model's SLO.</summary>
    public double TargetFraction { get; set; } = 0.8;

    /// <summary>Dead band below the target: settings grow only while p99 &lt; target × (1 − hysteresis).</summary>
    public double Hysteresis { get; set; } = 0.25;

    /// <summary>Requests a window needs before its p99 is acted on.</summary>
    public int MinSamples { get; set; } = 20;

    /// <summary>Share of requests refused or past their deadline above which the SLO counts as violated whatever the p99 of the answered ones.</summary>
    public double MaxMissRatio { get; set; } = 0.01;

    /// <summary>Smallest target batch rows the controller sets.</summary>
    public int MinBatchRows { get; set; } = 8;

    /// <summary>Largest target batch rows the controller sets; null: the model's MaxBatchRows.</summary>
    public int? MaxBatchRows { get; set; }

    /// <summary>Rows added per increase of the target batch rows.</summary>
    public int BatchRowsStep { get; set; } = 32;

    /// <summary>Smallest max queue delay the controller sets.</summary>
    public TimeSpan MinQueueDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Largest max queue delay the controller sets; null: half the model's SLO in batching mode
    /// <c>adaptive</c> (whose deadline-aware dispatch sends a batch early when its rows need it),
    /// a quarter of it in <c>static</c>.
    /// </summary>
    public TimeSpan? MaxQueueDelay { get; set; }

    /// <summary>Added per increase of the max queue delay.</summary>
    public TimeSpan QueueDelayStep { get; set; } = TimeSpan.FromMilliseconds(0.25);

    /// <summary>Multiplier on a knob when p99 is above the target but within the SLO.</summary>
    public double DecreaseFactor { get; set; } = 0.8;

    /// <summary>Multiplier on a knob when p99 is above the SLO (or too many requests missed).</summary>
    public double ViolationDecreaseFactor { get; set; } = 0.5;

    /// <summary>Least time between an increase and the previous change of the same knob (never shorter than the measurement window).</summary>
    public TimeSpan IncreaseCooldown { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>How long the setting at which p99 went over the target stays a ceiling (while the load stays within <see cref="LoadChangeTolerance"/>).</summary>
    public TimeSpan CeilingMemory { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Relative change of the row rate that makes a remembered ceiling stale.</summary>
    public double LoadChangeTolerance { get; set; } = 0.25;

    /// <summary>Busy share of the active replicas above which the model counts as overloaded (queueing, not batch size, drives p99).</summary>
    public double HighUtilization { get; set; } = 0.85;

    /// <summary>Least relative capacity gain (cost model) for which a larger batch is worth it under overload.</summary>
    public double MinCapacityGain { get; set; } = 0.05;

    /// <summary>Fewest active session replicas per device.</summary>
    public int MinReplicas { get; set; } = 1;

    /// <summary>Most active session replicas per device; null: every loaded replica.</summary>
    public int? MaxReplicas { get; set; }

    /// <summary>Busy share of the active replicas at which one more is activated.</summary>
    public double ReplicaAddUtilization { get; set; } = 0.75;

    /// <summary>A replica is deactivated when the others would be busy at most this share of the time.</summary>
    public double ReplicaRemoveUtilization { get; set; } = 0.35;

    /// <summary>Least time between two replica changes of a model.</summary>
    public TimeSpan ReplicaCooldown { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the model must stay idle (below the remove utilisation) before a replica is deactivated.</summary>
    public TimeSpan ReplicaIdleHold { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Busy share of every replica of a pod at which the fleet signal counts one pod as fully used.</summary>
    public double TargetUtilization { get; set; } = 0.7;

    /// <summary>Pods serving the model, used to turn this pod's load into the fleet's when the source is in-process.</summary>
    public int FleetPods { get; set; } = 1;

    /// <summary>Decisions kept per model for <c>GET /v1/allocator</c>.</summary>
    public int DecisionLogSize { get; set; } = 50;

    /// <summary>Per model (by name): pins and opt-out.</summary>
    public Dictionary<string, ModelAllocatorOptions> Models { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The options of one model; defaults (nothing pinned) when it has none.</summary>
    public ModelAllocatorOptions For(string model) => Models.TryGetValue(model, out var options) ? options : ModelAllocatorOptions.Default;

    /// <summary>The first invalid setting, as a message naming it; null when every setting is valid.</summary>
    public string? Validate()
    {
        return Interval <= TimeSpan.Zero ? "Interval must be > 0"
            : TargetFraction is <= 0 or > 1 ? "TargetFraction must be in (0, 1]"
            : Hysteresis is < 0 or >= 1 ? "Hysteresis must be in [0, 1)"
            : MinSamples < 1 ? "MinSamples must be >= 1"
            : MaxMissRatio is < 0 or > 1 ? "MaxMissRatio must be in [0, 1]"
            : MinBatchRows < 1 ? "MinBatchRows must be >= 1"
            : MaxBatchRows is { } maxRows && maxRows < MinBatchRows ? "MaxBatchRows must be >= MinBatchRows"
            : BatchRowsStep < 1 ? "BatchRowsStep must be >= 1"
            : MinQueueDelay < TimeSpan.Zero ? "MinQueueDelay must be >= 0"
            : MaxQueueDelay is { } maxDelay && maxDelay < MinQueueDelay ? "MaxQueueDelay must be >= MinQueueDelay"
            : QueueDelayStep <= TimeSpan.Zero ? "QueueDelayStep must be > 0"
            : DecreaseFactor is <= 0 or >= 1 ? "DecreaseFactor must be in (0, 1)"
            : ViolationDecreaseFactor is <= 0 or >= 1 ? "ViolationDecreaseFactor must be in (0, 1)"
            : IncreaseCooldown < TimeSpan.Zero || CeilingMemory < TimeSpan.Zero || ReplicaCooldown < TimeSpan.Zero || ReplicaIdleHold < TimeSpan.Zero ? "cooldowns and holds must be >= 0"
            : LoadChangeTolerance <= 0 ? "LoadChangeTolerance must be > 0"
            : HighUtilization is <= 0 or > 1 ? "HighUtilization must be in (0, 1]"
            : MinCapacityGain < 0 ? "MinCapacityGain must be >= 0"
            : MinReplicas < 1 ? "MinReplicas must be >= 1"
            : MaxReplicas is { } maxReplicas && maxReplicas < MinReplicas ? "MaxReplicas must be >= MinReplicas"
            : ReplicaAddUtilization is <= 0 or > 1 ? "ReplicaAddUtilization must be in (0, 1]"
            : ReplicaRemoveUtilization <= 0 || ReplicaRemoveUtilization >= ReplicaAddUtilization ? "ReplicaRemoveUtilization must be in (0, ReplicaAddUtilization)"
            : TargetUtilization is <= 0 or > 1 ? "TargetUtilization must be in (0, 1]"
            : FleetPods < 1 ? "FleetPods must be >= 1"
            : DecisionLogSize < 1 ? "DecisionLogSize must be >= 1"
            : LatencySource == LatencySourceKind.Prometheus && Prometheus.Url is null ? "Prometheus:Url is required when LatencySource is Prometheus"
            : Prometheus.QueryWindow <= TimeSpan.Zero ? "Prometheus:QueryWindow must be > 0"
            : Prometheus.Timeout <= TimeSpan.Zero ? "Prometheus:Timeout must be > 0"
            : ValidateModels();
    }

    private string? ValidateModels()
    {
        foreach (var (name, model) in Models)
        {
            if (model.TargetBatchRows is < 1)
            {
                return $"Models:{name}:TargetBatchRows must be >= 1";
            }

            if (model.MaxQueueDelay is { } delay && delay < TimeSpan.Zero)
            {
                return $"Models:{name}:MaxQueueDelay must be >= 0";
            }

            foreach (var (device, replicas) in model.Replicas)
            {
                if (replicas < 1)
                {
                    return $"Models:{name}:Replicas:{device} must be >= 1";
                }
            }
        }

        return null;
    }
}
