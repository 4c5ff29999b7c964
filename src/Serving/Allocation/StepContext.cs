using static Serving.Allocation.ReasonFormat;

namespace Serving.Allocation;

/// <summary>
/// One control step of one model: the measurements and settings every decider needs, read once,
/// the helpers they share, and the decisions they record.
/// </summary>
internal sealed class StepContext
{
    private readonly List<AllocatorDecision> _decisions = [];

    public StepContext(AllocatorOptions options, ModelObservation observation, ModelMemory memory)
    {
        Options = options;
        Observation = observation;
        Memory = memory;
        ModelOptions = options.For(observation.Model);
        var measurement = observation.Measurement;
        Measurement = measurement;
        Now = observation.Now;
        TargetP99 = observation.Slo * options.TargetFraction;
        LowWater = TargetP99 * (1 - options.Hysteresis);
        Window = measurement?.Window ?? options.Interval;
        var active = Math.Max(1, observation.Devices.Sum(d => d.Active));
        Local = observation.Local ?? (measurement is { FleetWide: false } ? measurement : null);
        BusyRatio = Local is null ? 0 : Local.BusyReplicaSeconds / active;
        CpuRatio = observation.Pod?.CpuRatio ?? 0;
        var count = measurement?.Count ?? 0;
        var p99Known = measurement?.P99 is not null && count >= options.MinSamples;
        var missJudged = measurement is not null
            && count + (measurement.MissRate * Window.TotalSeconds) >= options.MinSamples
            && measurement.MissRatio > options.MaxMissRatio;
        SloViolated = (p99Known && measurement!.P99 > observation.Slo) || missJudged;
        AboveTarget = SloViolated || (p99Known && measurement!.P99 > TargetP99);
        BelowLowWater = p99Known && !AboveTarget && measurement!.P99 < LowWater;
        Overloaded = BusyRatio >= options.HighUtilization || CpuRatio >= options.HighUtilization;
        Inputs = new DecisionInputs(
            measurement?.P99?.TotalMilliseconds,
            TargetP99.TotalMilliseconds,
            observation.Slo.TotalMilliseconds,
            count,
            measurement?.RowRate ?? 0,
            BusyRatio,
            measurement?.MissRatio ?? 0,
            Window.TotalSeconds);
    }

    public AllocatorOptions Options { get; }

    public ModelObservation Observation { get; }

    /// <summary>What the policy remembers about this model between steps.</summary>
    public ModelMemory Memory { get; }

    /// <summary>This model's pins and opt-out.</summary>
    public ModelAllocatorOptions ModelOptions { get; }

    /// <summary>The latest window; null when the source could not be read (every unpinned knob holds).</summary>
    public LatencySnapshot? Measurement { get; }

    /// <summary>This pod's own window: the observation's, or the measurement when it is not fleet-wide; null when neither.</summary>
    public LatencySnapshot? Local { get; }

    public DateTimeOffset Now { get; }

    /// <summary>The p99 aimed at: the SLO × <see cref="AllocatorOptions.TargetFraction"/>.</summary>
    public TimeSpan TargetP99 { get; }

    /// <summary>The target × (1 − <see cref="AllocatorOptions.Hysteresis"/>): settings grow only while p99 is below it.</summary>
    public TimeSpan LowWater { get; }

    /// <summary>The measurement window (the interval when there is no measurement).</summary>
    public TimeSpan Window { get; }

    /// <summary>Busy share of the model's active replicas on this pod (compute seconds per second per replica).</summary>
    public double BusyRatio { get; }

    /// <summary>Share of this pod's cores in use (0 when unknown).</summary>
    public double CpuRatio { get; }

    /// <summary>p99 above the SLO, or too many requests refused or late (each judged on enough samples).</summary>
    public bool SloViolated { get; }

    /// <summary>The SLO violated, or p99 above the target.</summary>
    public bool AboveTarget { get; }

    /// <summary>p99 known and below the low-water mark.</summary>
    public bool BelowLowWater { get; }

    /// <summary>The replicas or the pod's CPU at or above <see cref="AllocatorOptions.HighUtilization"/>.</summary>
    public bool Overloaded { get; }

    /// <summary>The measurements every decision of this step records.</summary>
    public DecisionInputs Inputs { get; }

    /// <summary>The changes made so far in this step, in order.</summary>
    public IReadOnlyList<AllocatorDecision> Decisions => _decisions;

    /// <summary>Whether the controller may move this model's unpinned knobs: measured and not opted out.</summary>
    public bool Controls => Measurement is not null && ModelOptions.Enabled;

    /// <summary>Rows answered per second in the measurement (0 without one).</summary>
    public double RowRate => Measurement?.RowRate ?? 0;

    /// <summary>Rows answered per second on this pod (0 without a local window).</summary>
    public double LocalRowRate => Local?.RowRate ?? 0;

    /// <summary>The batcher's cost model: compute time of a batch of the given rows.</summary>
    public TimeSpan PredictCompute(int rows) => Observation.PredictCompute(rows);

    /// <summary>The lower and upper bounds of a device pool's active replicas.</summary>
    public (int Min, int Max) ReplicaBounds(DeviceReplicas device)
    {
        var loaded = Math.Max(1, device.Loaded);
        var min = Math.Min(Options.MinReplicas, loaded);
        var max = Math.Clamp(Options.MaxReplicas ?? loaded, min, loaded);
        return (min, max);
    }

    /// <summary>An increase waits for the cooldown after the knob's last change, and for most of a window.</summary>
    public bool CanIncrease(KnobMemory knob)
    {
        var wait = Options.IncreaseCooldown > Window * 0.9 ? Options.IncreaseCooldown : Window * 0.9;
        return knob.LastChange is null || Now - knob.LastChange >= wait;
    }

    /// <summary>A decrease needs a measurement taken wholly after the previous decrease.</summary>
    public bool CanDecrease(KnobMemory knob) => knob.LastDecrease is null || Now - knob.LastDecrease >= Window * 0.9;

    /// <summary>
    /// Whether the window's only fault is refused or late requests (p99 of the answered ones within
    /// the target) while a batch's worst case, waiting <paramref name="delay"/> and computing behind
    /// one batch and then its own, is under half the target. Then the misses come from load
    /// (bursts, a full queue) and not from batches that take too long: smaller batches or shorter
    /// waits would lower capacity and refuse more, so both knobs hold. The first measurements
    /// showed the cost: a burst of refusals as load began halved both, and the controller spent
    /// the next half minute of the run growing them back.
    /// </summary>
    public bool MissesBatchingCannotExplain(int rows, TimeSpan delay) =>
        SloViolated
        && !(Measurement?.P99 > TargetP99)
        && delay + (2 * PredictCompute(rows)) < TargetP99 / 2;

    /// <summary>Why a knob goes down: too many misses, p99 above the SLO, or p99 above the target. Only with a measurement.</summary>
    public string Why() =>
        Measurement!.MissRatio > Options.MaxMissRatio && !(Measurement.P99 > Observation.Slo)
            ? $"{Pct(Measurement.MissRatio)} of requests refused or late (> {Pct(Options.MaxMissRatio)})"
            : SloViolated
                ? $"p99 {Ms(Measurement.P99)} ms above the SLO {Ms(Observation.Slo)} ms"
                : $"p99 {Ms(Measurement.P99)} ms above the target {Ms(TargetP99)} ms";

    /// <summary>Records a change of the target batch rows and returns the new value.</summary>
    public int ChangeRows(int from, int to, string reason)
    {
        Record(Memory.Rows, Knobs.TargetBatchRows, from, to, reason);
        return to;
    }

    /// <summary>Records a change of the max queue delay (in ms) and returns the new value.</summary>
    public TimeSpan ChangeDelay(TimeSpan from, TimeSpan to, string reason)
    {
        Record(Memory.Delay, Knobs.MaxQueueDelay, from.TotalMilliseconds, to.TotalMilliseconds, reason);
        return to;
    }

    /// <summary>Records a change of a device pool's active replicas and returns the new value.</summary>
    public int ChangeReplicas(string device, int from, int to, string reason)
    {
        Memory.Replicas.LastChange = Now;
        Add(Knobs.Replicas(device), from, to, reason);
        return to;
    }

    private void Record(KnobMemory knob, string name, double from, double to, string reason)
    {
        knob.LastChange = Now;
        if (to < from)
        {
            knob.LastDecrease = Now;
        }

        Add(name, from, to, reason);
    }

    private void Add(string knob, double from, double to, string reason) =>
        _decisions.Add(new AllocatorDecision(Now, Observation.Model, knob, to > from ? AllocatorDecision.Up : AllocatorDecision.Down, from, to, reason, Inputs));
}
