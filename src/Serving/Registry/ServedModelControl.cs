using Serving.Allocation;
using Serving.Batching;

namespace Serving.Registry;

/// <summary>
/// One served model's knobs, for the allocator. Settings are read from the default version and
/// applied to every live version: they share the model's SLO and its latency histogram.
/// </summary>
internal sealed class ServedModelControl(ServedModel model) : IControlledModel
{
    private readonly ServedModelVersion _default = model.Default ?? throw new ArgumentException("a model with no live version has no knobs", nameof(model));

    public string Name => model.Name;
    public TimeSpan Slo => _default.Spec.SloP99;
    public BatchingMode Mode => _default.Scheduler.Options.Mode;
    public int MaxBatchRows => _default.Scheduler.Options.MaxBatchRows;

    public int TargetBatchRows
    {
        get => _default.Scheduler.TargetBatchRows;
        set
        {
            foreach (var version in model.Versions)
            {
                version.Scheduler.TargetBatchRows = value;
            }
        }
    }

    public TimeSpan MaxQueueDelay
    {
        get => _default.Scheduler.MaxQueueDelay;
        set
        {
            foreach (var version in model.Versions)
            {
                version.Scheduler.MaxQueueDelay = value;
            }
        }
    }

    public IReadOnlyList<DeviceReplicas> Devices =>
        _default.Pools.Select(p => new DeviceReplicas(p.Device, p.Replicas, p.LoadedReplicas)).ToList();

    public int SetReplicas(string device, int replicas)
    {
        var result = replicas;
        foreach (var version in model.Versions)
        {
            foreach (var pool in version.Pools)
            {
                if (pool.Device == device)
                {
                    var set = pool.SetActiveReplicas(replicas);
                    if (ReferenceEquals(version, _default))
                    {
                        result = set;
                    }
                }
            }
        }

        return result;
    }

    /// <summary>What the default version's executor predicts: the device a batch would run on, from that pool's own measurements.</summary>
    public TimeSpan PredictCompute(int rows) => _default.Scheduler.Executor.PredictCompute(rows);
}
