namespace Serving.Allocation;

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

    /// <summary>
    /// One control step of one model: the measurements read once into a <see cref="StepContext"/>,
    /// then one decider per knob, in this order: batch rows, queue delay (which depends on the rows
    /// chosen), replicas, and the fleet signals.
    /// </summary>
    public ModelPlan Decide(ModelObservation observation)
    {
        if (!_memory.TryGetValue(observation.Model, out var memory))
        {
            memory = new ModelMemory();
            _memory[observation.Model] = memory;
        }

        var step = new StepContext(Options, observation, memory);
        var batchRows = new BatchRowsDecider(step);
        var rowBounds = batchRows.Bounds();
        var rows = batchRows.Decide(rowBounds);
        var delay = new QueueDelayDecider(step).Decide(rows, rowBounds);
        var replicas = new ReplicaDecider(step).Decide();
        var fleet = new FleetSignals(step);
        var desired = fleet.DesiredReplicas();
        return new ModelPlan(rows, delay, replicas, step.Decisions, desired, fleet.Headroom(), step.TargetP99, step.BusyRatio, rowBounds.CostCeiling)
        {
            PodCapacityRows = memory.PodCapacityRows,
            CpuRatio = step.CpuRatio,
        };
    }
}
