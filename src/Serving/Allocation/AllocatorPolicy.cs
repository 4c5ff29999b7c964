using System.Globalization;
using Serving.Batching;

namespace Serving.Allocation;

/// <summary>One device pool's replicas as the controller sees them.</summary>
/// <param name="Device"><c>cpu</c> or <c>gpu</c>.</param>
/// <param name="Active">Replicas allowed to execute now.</param>
/// <param name="Loaded">Replicas created at start: the most that can be active.</param>
public sealed record DeviceReplicas(string Device, int Active, int Loaded);

/// <summary>Everything the policy knows about one model at one control step.</summary>
public sealed record ModelObservation
{
    public required string Model { get; init; }

    /// <summary>The time of the step (the controller's clock).</summary>
    public required DateTimeOffset Now { get; init; }

    public required TimeSpan Slo { get; init; }

    public BatchingMode Mode { get; init; } = BatchingMode.Adaptive;

    /// <summary>The batcher's hard cap on rows per batch (the replicas' buffer size).</summary>
    public required int MaxBatchRows { get; init; }

    public required int TargetBatchRows { get; init; }

    public required TimeSpan MaxQueueDelay { get; init; }

    public required IReadOnlyList<DeviceReplicas> Devices { get; init; }

    /// <summary>The batcher's cost model: compute time of a batch of the given rows.</summary>
    public required Func<int, TimeSpan> PredictCompute { get; init; }

    /// <summary>The latest window; null when the source could not be read (every unpinned knob holds).</summary>
    public LatencySnapshot? Measurement { get; init; }

    /// <summary>
    /// This pod's own window for the model (the same as <see cref="Measurement"/> with the in-process
    /// source): replica decisions and the capacity of one pod are local matters.
    /// </summary>
    public LatencySnapshot? Local { get; init; }

    /// <summary>This pod's CPU and rows, all models together; null when unknown.</summary>
    public PodLoad? Pod { get; init; }
}

/// <summary>The policy's answer for one model: the settings to apply, the changes made and why, and the fleet signals.</summary>
public sealed record ModelPlan(
    int TargetBatchRows,
    TimeSpan MaxQueueDelay,
    IReadOnlyDictionary<string, int> Replicas,
    IReadOnlyList<AllocatorDecision> Decisions,
    double DesiredReplicas,
    double HeadroomRatio,
    TimeSpan TargetP99,
    double BusyRatio,
    int BatchRowsCeiling)
{
    /// <summary>Rows per second one pod can answer for this model at the target utilisation (smoothed); null until measured.</summary>
    public double? PodCapacityRows { get; init; }

    /// <summary>Share of this pod's cores in use.</summary>
    public double CpuRatio { get; init; }
}

/// <summary>
/// The controller's decision logic, free of clocks and I/O: given a model's measurements, its
/// current settings and the time, it returns the new settings and the decisions that led there.
/// It remembers, per model, when each knob last changed and where p99 last went over the target,
/// which is what the cooldowns, the hysteresis and the ceilings need. docs/allocator.md explains
/// the algorithm.
/// </summary>
public sealed class AllocatorPolicy(AllocatorOptions options)
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

    /// <summary>One control step of one model.</summary>
    private sealed class Step
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

        // ---- target batch rows -------------------------------------------------------------

        private (int Min, int Max, int CostCeiling) RowBounds()
        {
            var cap = Math.Max(1, _obs.MaxBatchRows);
            var min = Math.Min(_o.MinBatchRows, cap);
            var max = Math.Clamp(_o.MaxBatchRows ?? cap, min, cap);

            // The largest batch whose worst case fits the target: wait for a busy replica to finish
            // a batch, wait the least queue delay, compute our own batch.
            var budget = _target - _o.MinQueueDelay;
            var lo = min;
            var hi = max;
            if (2 * _obs.PredictCompute(lo) > budget)
            {
                return (min, max, min);
            }

            while (lo < hi)
            {
                var mid = lo + ((hi - lo + 1) / 2);
                if (2 * _obs.PredictCompute(mid) <= budget)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return (min, max, lo);
        }

        private int DecideRows(int minRows, int maxRows, int costCeiling)
        {
            var rows = _obs.TargetBatchRows;
            var knob = _mem.Rows;
            if (_model.TargetBatchRows is { } pin)
            {
                var pinned = Math.Clamp(pin, 1, Math.Max(1, _obs.MaxBatchRows));
                return pinned == rows ? rows : Change(knob, Knobs.TargetBatchRows, rows, pinned, $"pinned by Serving:Allocator:Models:{_obs.Model}:TargetBatchRows");
            }

            if (!Controls || _obs.Mode == BatchingMode.None)
            {
                return rows;
            }

            knob.Ceiling.Expire(_now, RowRate, _o);
            if (rows < minRows || rows > maxRows)
            {
                var clamped = Math.Clamp(rows, minRows, maxRows);
                return Change(knob, Knobs.TargetBatchRows, rows, clamped, $"outside the bounds [{minRows}, {maxRows}] rows");
            }

            if (rows > costCeiling && rows > costCeiling * 1.1)
            {
                return Change(knob, Knobs.TargetBatchRows, rows, costCeiling,
                    $"cost model: 2 x compute({rows} rows) = {Ms(2 * _obs.PredictCompute(rows))} ms does not fit the target {Ms(_target)} ms less the least queue delay; {costCeiling} rows does");
            }

            if (_aboveTarget)
            {
                if (_overloaded)
                {
                    // Queueing, not batch size, drives p99: more rows per run raise capacity, fewer would lower it.
                    if (CanIncrease(knob) && rows < costCeiling)
                    {
                        var next = Math.Min(costCeiling, Math.Max(rows + _o.BatchRowsStep, rows + (rows / 2)));
                        var gain = ((Capacity(next) / Capacity(rows)) - 1) * ComputeShare();
                        if (gain >= _o.MinCapacityGain)
                        {
                            return Change(knob, Knobs.TargetBatchRows, rows, next,
                                $"{Why()} with the replicas {Pct(_busy)} busy and the CPU {Pct(_cpu)} (overloaded >= {Pct(_o.HighUtilization)}): {next} rows per batch add {Pct(gain)} capacity (cost model)");
                        }
                    }

                    return rows;
                }

                if (CanDecrease(knob) && !MissesBatchingCannotExplain(rows, _obs.MaxQueueDelay))
                {
                    var factor = _violated ? _o.ViolationDecreaseFactor : _o.DecreaseFactor;
                    var next = NotIntoOverload(Math.Max(minRows, (int)(rows * factor)), rows);
                    if (next < rows && BatchTimeMatters(rows, next))
                    {
                        knob.Ceiling.Remember(rows, _now, RowRate);
                        return Change(knob, Knobs.TargetBatchRows, rows, next, $"{Why()}: smaller batches (x{factor.ToString("0.##", CultureInfo.InvariantCulture)})");
                    }
                }

                return rows;
            }

            if (_belowLowWater && CanIncrease(knob))
            {
                var limit = Math.Min(maxRows, costCeiling);
                if (knob.Ceiling.Value is { } ceiling)
                {
                    limit = Math.Min(limit, (int)ceiling - _o.BatchRowsStep);
                }

                // Far below the target, grow by a quarter at a time; near it, by one step.
                var increase = _m!.P99 < _target / 2 ? Math.Max(_o.BatchRowsStep, rows / 4) : _o.BatchRowsStep;
                var next = Math.Min(rows + increase, limit);
                if (next > rows)
                {
                    return Change(knob, Knobs.TargetBatchRows, rows, next,
                        $"p99 {Ms(_m.P99!.Value)} ms below {Ms(_lowWater)} ms (target {Ms(_target)} ms less the hysteresis): larger batches for throughput");
                }
            }

            return rows;
        }

        /// <summary>
        /// Whether smaller batches can account for the excess. They win back about the compute they
        /// save, cost(rows) − cost(next), for the batch in progress and the row's own, amplified by
        /// queueing at the replicas' busy share ρ (M/D/1: × 2ρ/(1−ρ) more): k = 2 + 2ρ/(1−ρ). Unless
        /// that is at least a tenth of how far p99 is over the target, batch compute is not what
        /// makes p99 high (queueing for the CPU, the rest of the request path, a noisy neighbour
        /// are), and smaller batches would only cost throughput: split requests, more runs, more
        /// fixed cost per row.
        /// </summary>
        private bool BatchTimeMatters(int rows, int next)
        {
            var rho = Math.Min(_busy, 0.95);
            var saved = (2 + (2 * rho / (1 - rho))) * (_obs.PredictCompute(rows) - _obs.PredictCompute(next));
            var p99 = _m?.P99 ?? TimeSpan.Zero;
            var excess = p99 - _target;
            var floor = _target / 10;
            return saved >= (excess > floor ? excess : floor) / 10;
        }

        /// <summary>
        /// Whether the window's only fault is refused or late requests (p99 of the answered ones within
        /// the target) while a batch's worst case, waiting <paramref name="delay"/> and computing behind
        /// one batch and then its own, is under half the target. Then the misses come from load
        /// (bursts, a full queue) and not from batches that take too long: smaller batches or shorter
        /// waits would lower capacity and refuse more, so both knobs hold. The first measurements
        /// showed the cost: a burst of refusals as load began halved both, and the controller spent
        /// the next half minute of the run growing them back.
        /// </summary>
        private bool MissesBatchingCannotExplain(int rows, TimeSpan delay) =>
            _violated
            && !(_m?.P99 > _target)
            && delay + (2 * _obs.PredictCompute(rows)) < _target / 2;

        /// <summary>
        /// Share of the CPU time per row that batching can save: the model's compute time per row over
        /// the process's CPU time per row (API, features and batching included). 1 when unknown.
        /// </summary>
        private double ComputeShare()
        {
            if (_local is not { RowRate: > 0, BusyReplicaSeconds: > 0 } || _obs.Pod?.CpuSecondsPerRow is not { } cpuPerRow)
            {
                return 1;
            }

            return Math.Clamp(_local.BusyReplicaSeconds / _local.RowRate / cpuPerRow, 0, 1);
        }

        /// <summary>Rows per second one replica computes at the given batch size (cost model).</summary>
        private double Capacity(int rows) => rows / Math.Max(_obs.PredictCompute(rows).TotalSeconds, 1e-9);

        /// <summary>The smallest batch in [<paramref name="next"/>, <paramref name="rows"/>] whose predicted busy share stays clear of overload.</summary>
        private int NotIntoOverload(int next, int rows)
        {
            if (_busy <= 0)
            {
                return next;
            }

            var limit = _o.HighUtilization * 0.95;
            double Predicted(int r) => _busy * Capacity(rows) / Capacity(r);
            if (Predicted(next) < limit)
            {
                return next;
            }

            if (Predicted(rows) >= limit)
            {
                return rows;
            }

            var lo = next;
            var hi = rows;
            while (hi - lo > 1)
            {
                var mid = lo + ((hi - lo) / 2);
                if (Predicted(mid) < limit)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid;
                }
            }

            return hi;
        }

        // ---- max queue delay ----------------------------------------------------------------

        private TimeSpan DecideDelay(int rows, int maxRows, int costCeiling)
        {
            var delay = _obs.MaxQueueDelay;
            var knob = _mem.Delay;
            if (_model.MaxQueueDelay is { } pin)
            {
                var pinned = pin < TimeSpan.Zero ? TimeSpan.Zero : pin;
                return pinned == delay ? delay : ChangeDelay(knob, delay, pinned, $"pinned by Serving:Allocator:Models:{_obs.Model}:MaxQueueDelay");
            }

            if (!Controls || _obs.Mode == BatchingMode.None)
            {
                return delay;
            }

            knob.Ceiling.Expire(_now, RowRate, _o);
            var adaptive = _obs.Mode == BatchingMode.Adaptive;
            var max = _o.MaxQueueDelay ?? (adaptive ? _obs.Slo / 2 : _obs.Slo / 4);
            var min = _o.MinQueueDelay < max ? _o.MinQueueDelay : max;

            // What the target leaves after the worst-case compute of the chosen batch size. In static
            // mode a row may wait the whole delay, then for a batch in progress, then for its own. In
            // adaptive mode the batcher dispatches as soon as no replica is busy, and early enough for
            // the earliest deadline in the batch, so the wait for a batch in progress is inside the
            // delay: what is left is the delay and the row's own batch. There the delay is what lets
            // a busy replica's successor fill up instead of starting small batches beside it.
            var budget = _target - ((adaptive ? 1 : 2) * _obs.PredictCompute(rows));
            budget = budget < min ? min : budget > max ? max : budget;
            if (delay < min || delay > max)
            {
                return ChangeDelay(knob, delay, delay < min ? min : max, $"outside the bounds [{Ms(min)}, {Ms(max)}] ms");
            }

            if (delay > budget && delay - budget > TimeSpan.FromTicks(Math.Max(budget.Ticks / 10, TimeSpan.TicksPerMillisecond / 10)))
            {
                return ChangeDelay(knob, delay, budget,
                    $"budget: target {Ms(_target)} ms less {(adaptive ? 1 : 2)} x compute({rows} rows) = {Ms((adaptive ? 1 : 2) * _obs.PredictCompute(rows))} ms leaves {Ms(budget)} ms to wait");
            }

            if (_aboveTarget)
            {
                // Overloaded in adaptive mode, the delay holds: the processor is the bottleneck, and
                // a shorter wait only starts a batch beside a busy one to split the same CPU, with
                // smaller batches and more runs per row. (The first measurement showed it: cut from
                // 5 to 0.8 ms during the step, p99 stayed over the SLO until the run ended.)
                var holdForCapacity = adaptive && _overloaded;
                if (delay > min && CanDecrease(knob) && !holdForCapacity && !MissesBatchingCannotExplain(rows, delay))
                {
                    var factor = _violated ? _o.ViolationDecreaseFactor : _o.DecreaseFactor;
                    var next = delay * factor;
                    if (next - min < _o.QueueDelayStep / 2)
                    {
                        next = min;
                    }

                    knob.Ceiling.Remember(delay.TotalSeconds, _now, RowRate);
                    return ChangeDelay(knob, delay, next, $"{Why()}: shorter waits for more rows");
                }

                return delay;
            }

            // Waiting for more rows is the second lever: near the target only once the batch size
            // cannot grow; far below it (p99 under half the target) alongside it, by a quarter at a
            // time, so a cold default converges in a few steps.
            var rowsAtLimit = _model.TargetBatchRows is not null
                || rows >= Math.Min(maxRows, costCeiling)
                || (_mem.Rows.Ceiling.Value is { } rowsCeiling && rows >= rowsCeiling - _o.BatchRowsStep);
            var farBelow = _belowLowWater && _m!.P99 < _target / 2;
            if (_belowLowWater && (rowsAtLimit || farBelow) && CanIncrease(knob))
            {
                var limit = budget;
                if (knob.Ceiling.Value is { } ceiling)
                {
                    var below = TimeSpan.FromSeconds(ceiling) - _o.QueueDelayStep;
                    limit = below < limit ? below : limit;
                }

                var quarter = TimeSpan.FromTicks(delay.Ticks / 4);
                var next = delay + (farBelow && quarter > _o.QueueDelayStep ? quarter : _o.QueueDelayStep);
                next = next > limit ? limit : next;
                if (next > delay)
                {
                    var why = rowsAtLimit ? $"the batch size at its limit ({rows} rows)" : $"under half the target {Ms(_target)} ms";
                    return ChangeDelay(knob, delay, next,
                        $"p99 {Ms(_m!.P99!.Value)} ms below {Ms(_lowWater)} ms and {why}: wait longer for fuller batches");
                }
            }

            return delay;
        }

        // ---- replicas -------------------------------------------------------------------------

        private (int Min, int Max) ReplicaBounds(DeviceReplicas device)
        {
            var loaded = Math.Max(1, device.Loaded);
            var min = Math.Min(_o.MinReplicas, loaded);
            var max = Math.Clamp(_o.MaxReplicas ?? loaded, min, loaded);
            return (min, max);
        }

        private Dictionary<string, int> DecideReplicas()
        {
            var result = new Dictionary<string, int>(StringComparer.Ordinal);
            var free = new List<DeviceReplicas>();
            foreach (var device in _obs.Devices)
            {
                result[device.Device] = device.Active;
                if (_model.Replicas.TryGetValue(device.Device, out var pin))
                {
                    var pinned = Math.Clamp(pin, 1, Math.Max(1, device.Loaded));
                    if (pinned != device.Active)
                    {
                        result[device.Device] = ChangeReplicas(device.Device, device.Active, pinned, $"pinned by Serving:Allocator:Models:{_obs.Model}:Replicas:{device.Device}");
                    }

                    continue;
                }

                var (min, max) = ReplicaBounds(device);
                if (Controls && (device.Active < min || device.Active > max))
                {
                    result[device.Device] = ChangeReplicas(device.Device, device.Active, Math.Clamp(device.Active, min, max), $"outside the bounds [{min}, {max}] replicas");
                    continue;
                }

                free.Add(device);
            }

            if (!Controls || free.Count == 0 || _decisions.Any(d => d.Knob.StartsWith("replicas_", StringComparison.Ordinal)))
            {
                return result;
            }

            var mem = _mem.Replicas;
            mem.Blocked.Expire(_now, RowRate, _o);
            var total = _obs.Devices.Sum(d => d.Active);
            var measuredAfterChange = mem.LastChange is null || _now - mem.LastChange >= _window * 0.9;

            // Judge the last added replica: keep it if throughput rose or p99 held.
            if (mem.Probe is { } probe && measuredAfterChange)
            {
                mem.Probe = null;
                var gained = LocalRowRate >= probe.RowRate * (1 + _o.MinCapacityGain);
                var held = _m!.P99 is not { } p99 || p99 <= _target || (probe.P99 is { } before && p99 <= before * 1.1);
                if (!gained && !held && free.FirstOrDefault(d => d.Device == probe.Device) is { } device && result[device.Device] > ReplicaBounds(device).Min)
                {
                    mem.Blocked.Remember(total, _now, RowRate);
                    result[device.Device] = ChangeReplicas(device.Device, device.Active, device.Active - 1,
                        $"the replica added at {probe.At:HH:mm:ss} raised neither throughput ({probe.RowRate:0} -> {LocalRowRate:0} rows/s) nor kept p99 ({Ms(probe.P99)} -> {Ms(_m.P99)} ms): removed, and {total} replicas not tried again at this load");
                    return result;
                }
            }

            var cooled = mem.LastChange is null || (_now - mem.LastChange >= _o.ReplicaCooldown && measuredAfterChange);
            if (_busy >= _o.ReplicaAddUtilization)
            {
                mem.IdleSince = null;
                var blocked = mem.Blocked.Value is { } b && total + 1 >= b;
                var grow = free.FirstOrDefault(d => d.Active < ReplicaBounds(d).Max);
                if (cooled && !blocked && grow is not null)
                {
                    mem.Probe = new ReplicaProbe(grow.Device, _now, LocalRowRate, _m!.P99);
                    result[grow.Device] = ChangeReplicas(grow.Device, grow.Active, grow.Active + 1,
                        $"replicas {Pct(_busy)} busy >= {Pct(_o.ReplicaAddUtilization)}: one more for throughput");
                }

                return result;
            }

            // Idle means the replicas left would be lightly busy *and* so is the pod's CPU: the busy
            // share counts compute only, while a replica also overlaps its batch's completion (scatter,
            // responses) with another replica's compute, and on a busy CPU one fewer measurably hurts.
            var localBusy = _local?.BusyReplicaSeconds ?? 0;
            var idle = total > 1 && !_aboveTarget
                && localBusy / (total - 1) <= _o.ReplicaRemoveUtilization
                && _cpu <= _o.ReplicaRemoveUtilization;
            if (!idle)
            {
                mem.IdleSince = null;
                return result;
            }

            mem.IdleSince ??= _now;
            var shrink = free.LastOrDefault(d => d.Active > ReplicaBounds(d).Min);
            if (cooled && shrink is not null && _now - mem.IdleSince >= _o.ReplicaIdleHold)
            {
                mem.IdleSince = null;
                result[shrink.Device] = ChangeReplicas(shrink.Device, shrink.Active, shrink.Active - 1,
                    $"idle: {total - 1} replicas would be {Pct(localBusy / (total - 1))} busy and the CPU is {Pct(_cpu)} (both <= {Pct(_o.ReplicaRemoveUtilization)}) for {_o.ReplicaIdleHold.TotalSeconds:0} s");
            }

            return result;
        }

        // ---- fleet signals ----------------------------------------------------------------------

        /// <summary>
        /// Pods the fleet needs: the fleet's row rate (this pod's × FleetPods when the source sees one
        /// pod), scaled up by the share of requests refused, over what one pod answers at the target
        /// utilisation. That capacity is measured on this pod: the lower of its CPU bound (cores ×
        /// TargetUtilization ÷ CPU time per row) and its replica bound (replicas × TargetUtilization ×
        /// rows per busy replica-second), smoothed over windows with enough requests.
        /// </summary>
        private double DesiredReplicas()
        {
            if (_m is null)
            {
                return double.NaN;
            }

            var perPod = 0;
            foreach (var device in _obs.Devices)
            {
                perPod += _model.Replicas.TryGetValue(device.Device, out var pin) ? Math.Clamp(pin, 1, Math.Max(1, device.Loaded)) : ReplicaBounds(device).Max;
            }

            double? capacity = null;
            if (_obs.Pod is { CpuSecondsPerRow: { } cpuPerRow } pod && pod.Count >= _o.MinSamples)
            {
                capacity = pod.Cores * _o.TargetUtilization / cpuPerRow;
            }

            if (_local is { RowRate: > 0, BusyReplicaSeconds: > 0 } local && local.Count >= _o.MinSamples)
            {
                var replicaBound = Math.Max(1, perPod) * _o.TargetUtilization * local.RowRate / local.BusyReplicaSeconds;
                capacity = capacity is { } c ? Math.Min(c, replicaBound) : replicaBound;
            }

            if (capacity is { } measured)
            {
                _mem.PodCapacityRows = _mem.PodCapacityRows is { } previous ? (0.7 * previous) + (0.3 * measured) : measured;
            }

            var rows = _m.RowRate * (_m.FleetWide ? 1 : _o.FleetPods);
            if (rows <= 0)
            {
                return 0;
            }

            var offered = _m.RequestRate > 0 ? Math.Min((_m.RequestRate + _m.MissRate) / _m.RequestRate, 4) : 1;
            return _mem.PodCapacityRows is { } perPodRows ? rows * offered / perPodRows : double.NaN;
        }

        private double Headroom() => _m?.P99 is { } p99 ? 1 - (p99 / _obs.Slo) : 1;

        // ---- helpers ----------------------------------------------------------------------------

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

    /// <summary>What the policy remembers about one model between steps.</summary>
    private sealed class ModelMemory
    {
        public KnobMemory Rows { get; } = new();
        public KnobMemory Delay { get; } = new();
        public ReplicaMemory Replicas { get; } = new();

        /// <summary>Smoothed rows per second one pod answers at the target utilisation.</summary>
        public double? PodCapacityRows { get; set; }
    }

    /// <summary>When a knob last moved, and the setting at which p99 last went over the target.</summary>
    private sealed class KnobMemory
    {
        public DateTimeOffset? LastChange { get; set; }
        public DateTimeOffset? LastDecrease { get; set; }
        public LoadBoundLimit Ceiling { get; } = new();
    }

    private sealed class ReplicaMemory
    {
        public DateTimeOffset? LastChange { get; set; }
        public DateTimeOffset? IdleSince { get; set; }
        public ReplicaProbe? Probe { get; set; }

        /// <summary>A replica total not to grow to again while the load stays as it is.</summary>
        public LoadBoundLimit Blocked { get; } = new();
    }

    /// <summary>
    /// A limit learned at some load: it holds while the load stays within
    /// <see cref="AllocatorOptions.LoadChangeTolerance"/> of it, and for <see cref="AllocatorOptions.CeilingMemory"/> at most.
    /// </summary>
    private sealed class LoadBoundLimit
    {
        private DateTimeOffset _at;
        private double _rowRate;

        public double? Value { get; private set; }

        public void Remember(double value, DateTimeOffset now, double rowRate)
        {
            Value = value;
            _at = now;
            _rowRate = rowRate;
        }

        public void Expire(DateTimeOffset now, double rowRate, AllocatorOptions options)
        {
            if (Value is not null && (now - _at > options.CeilingMemory || LoadChanged(_rowRate, rowRate, options)))
            {
                Value = null;
            }
        }
    }

    /// <summary>A replica added at <see cref="At"/>, with the throughput and p99 measured before it.</summary>
    private sealed record ReplicaProbe(string Device, DateTimeOffset At, double RowRate, TimeSpan? P99);

    private static bool LoadChanged(double before, double now, AllocatorOptions options) =>
        Math.Abs(now - before) > options.LoadChangeTolerance * Math.Max(before, 1e-9);
}
