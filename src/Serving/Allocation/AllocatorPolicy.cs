using System.Globalization;

namespace Serving.Allocation;

/// <summary>
/// The controller's decision logic, free of clocks and I/O: given a model's measurements, its
/// current settings and the time, it returns the new settings and the decisions that led there.
/// It remembers, per model, when each knob last changed and where p99 last went over the target,
/// which is what the cooldowns, the hysteresis and the ceilings need. docs/allocator.md explains
/// the algorithm.
/// </summary>
public sealed partial class AllocatorPolicy(AllocatorOptions options)
{
    private readonly Dictionary<string, ModelMemory> _memory = new(StringComparer.Ordinal);

    public AllocatorOptions Options { get; } = options;

    public ModelPlan Decide(ModelObservation observation)
    {
        if (!_memory.TryGetValue(observation.Model, out var memory))
        {
            memory = new ModelMemory();
            _memory[observation.Model] = memory;
        }

        return new Step(Options, observation, memory).Run();
    }

    /// <summary>
    /// One control step of one model: the measurements read once, then one decider per knob, each in
    /// its own file (AllocatorPolicy.BatchRows.cs, .QueueDelay.cs, .Replicas.cs, .FleetSignals.cs).
    /// </summary>
    private sealed partial class Step
    {
        private readonly AllocatorOptions _o;
        private readonly ModelObservation _obs;
        private readonly ModelMemory _mem;
        private readonly ModelAllocatorOptions _model;
        private readonly LatencySnapshot? _m;
        private readonly DateTimeOffset _now;
        private readonly TimeSpan _target;
        private readonly TimeSpan _lowWater;
        private readonly TimeSpan _window;
        private readonly LatencySnapshot? _local;
        private readonly double _busy;
        private readonly double _cpu;
        private readonly bool _violated;
        private readonly bool _aboveTarget;
        private readonly bool _belowLowWater;
        private readonly bool _overloaded;
        private readonly DecisionInputs _inputs;
        private readonly List<AllocatorDecision> _decisions = [];

        public Step(AllocatorOptions options, ModelObservation observation, ModelMemory memory)
        {
            _o = options;
            _obs = observation;
            _mem = memory;
            _model = options.For(observation.Model);
            _m = observation.Measurement;
            _now = observation.Now;
            _target = observation.Slo * options.TargetFraction;
            _lowWater = _target * (1 - options.Hysteresis);
            _window = _m?.Window ?? options.Interval;
            var active = Math.Max(1, observation.Devices.Sum(d => d.Active));
            _local = observation.Local ?? (_m is { FleetWide: false } ? _m : null);
            _busy = _local is null ? 0 : _local.BusyReplicaSeconds / active;
            _cpu = observation.Pod?.CpuRatio ?? 0;
            var count = _m?.Count ?? 0;
            var p99Known = _m?.P99 is not null && count >= options.MinSamples;
            var missJudged = _m is not null
                && count + (_m.MissRate * _window.TotalSeconds) >= options.MinSamples
                && _m.MissRatio > options.MaxMissRatio;
            _violated = (p99Known && _m!.P99 > observation.Slo) || missJudged;
            _aboveTarget = _violated || (p99Known && _m!.P99 > _target);
            _belowLowWater = p99Known && !_aboveTarget && _m!.P99 < _lowWater;
            _overloaded = _busy >= options.HighUtilization || _cpu >= options.HighUtilization;
            _inputs = new DecisionInputs(
                _m?.P99?.TotalMilliseconds,
                _target.TotalMilliseconds,
                observation.Slo.TotalMilliseconds,
                count,
                _m?.RowRate ?? 0,
                _busy,
                _m?.MissRatio ?? 0,
                _window.TotalSeconds);
        }

        private bool Controls => _m is not null && _model.Enabled;

        private double RowRate => _m?.RowRate ?? 0;

        private double LocalRowRate => _local?.RowRate ?? 0;

        public ModelPlan Run()
        {
            var (minRows, maxRows, costCeiling) = RowBounds();
            var rows = DecideRows(minRows, maxRows, costCeiling);
            var delay = DecideDelay(rows, maxRows, costCeiling);
            var replicas = DecideReplicas();
            var desired = DesiredReplicas();
            return new ModelPlan(rows, delay, replicas, _decisions, desired, Headroom(), _target, _busy, costCeiling)
            {
                PodCapacityRows = _mem.PodCapacityRows,
                CpuRatio = _cpu,
            };
        }

        // ---- helpers shared by the deciders ----------------------------------------------------------------------------

        private bool CanIncrease(KnobMemory knob)
        {
            var wait = _o.IncreaseCooldown > _window * 0.9 ? _o.IncreaseCooldown : _window * 0.9;
            return knob.LastChange is null || _now - knob.LastChange >= wait;
        }

        /// <summary>A decrease needs a measurement taken wholly after the previous decrease.</summary>
        private bool CanDecrease(KnobMemory knob) => knob.LastDecrease is null || _now - knob.LastDecrease >= _window * 0.9;

        private string Why() =>
            _m!.MissRatio > _o.MaxMissRatio && !(_m.P99 > _obs.Slo)
                ? $"{Pct(_m.MissRatio)} of requests refused or late (> {Pct(_o.MaxMissRatio)})"
                : _violated
                    ? $"p99 {Ms(_m.P99)} ms above the SLO {Ms(_obs.Slo)} ms"
                    : $"p99 {Ms(_m.P99)} ms above the target {Ms(_target)} ms";

        private int Change(KnobMemory knob, string name, int from, int to, string reason)
        {
            Record(knob, name, from, to, reason);
            return to;
        }

        private TimeSpan ChangeDelay(KnobMemory knob, TimeSpan from, TimeSpan to, string reason)
        {
            Record(knob, Knobs.MaxQueueDelay, from.TotalMilliseconds, to.TotalMilliseconds, reason);
            return to;
        }

        private int ChangeReplicas(string device, int from, int to, string reason)
        {
            _mem.Replicas.LastChange = _now;
            _decisions.Add(new AllocatorDecision(_now, _obs.Model, Knobs.Replicas(device), to > from ? AllocatorDecision.Up : AllocatorDecision.Down, from, to, reason, _inputs));
            return to;
        }

        private void Record(KnobMemory knob, string name, double from, double to, string reason)
        {
            knob.LastChange = _now;
            if (to < from)
            {
                knob.LastDecrease = _now;
            }

            _decisions.Add(new AllocatorDecision(_now, _obs.Model, name, to > from ? AllocatorDecision.Up : AllocatorDecision.Down, from, to, reason, _inputs));
        }

        private static string Ms(TimeSpan? span) =>
            span is { } s ? s.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) : "n/a";

        private static string Pct(double ratio) => ratio.ToString("0%", CultureInfo.InvariantCulture);
    }
}
