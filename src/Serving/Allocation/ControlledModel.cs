using Serving.Batching;
using Serving.Models;

namespace Serving.Allocation;

/// <summary>The knobs of one served model as the controller reads and turns them.</summary>
public interface IControlledModel
{
    string Name { get; }
    TimeSpan Slo { get; }
    BatchingMode Mode { get; }

    /// <summary>The batcher's hard cap on rows per batch.</summary>
    int MaxBatchRows { get; }

    int TargetBatchRows { get; set; }
    TimeSpan MaxQueueDelay { get; set; }
    IReadOnlyList<DeviceReplicas> Devices { get; }

    /// <summary>Sets the active replicas of a device; returns the count in force (clamped by the pool).</summary>
    int SetReplicas(string device, int replicas);

    /// <summary>The cost model: compute time of a batch of <paramref name="rows"/>.</summary>
    TimeSpan PredictCompute(int rows);
}

/// <summary>The models the controller steers, as they are now.</summary>
public interface IControlledModelSource
{
    IReadOnlyList<IControlledModel> Models { get; }
}

/// <summary>The served models of the repository (empty until they are loaded).</summary>
internal sealed class RepositoryModelSource(ModelRepository repository) : IControlledModelSource
{
    private List<IControlledModel> _models = [];
    private object? _publishedFrom;

    public IReadOnlyList<IControlledModel> Models
    {
        get
        {
            // The repository publishes once; rebuild the adapters only when its set of models changes.
            var served = repository.Models.ToList();
            var key = served.Count == 0 ? null : served[0];
            if (served.Count != _models.Count || !ReferenceEquals(key, _publishedFrom))
            {
                _models = served.Select(m => (IControlledModel)new ServedModelControl(m)).ToList();
                _publishedFrom = key;
            }

            return _models;
        }
    }
}

/// <summary>
/// One served model's knobs. Settings are read from the default version and applied to every
/// version: they share the model's SLO and its latency histogram.
/// </summary>
internal sealed class ServedModelControl(ServedModel model) : IControlledModel
{
    private readonly ServedModelVersion _default = model.Default;

    public string Name => model.Name;
    public TimeSpan Slo => _default.Spec.SloP99;
    public BatchingMode Mode => _default.Scheduler.Settings.Mode;
    public int MaxBatchRows => _default.Scheduler.Settings.MaxBatchRows;

    public int TargetBatchRows
    {
        get => _default.Scheduler.Settings.TargetBatchRows;
        set
        {
            foreach (var version in model.Versions)
            {
                version.Scheduler.Settings.TargetBatchRows = value;
            }
        }
    }

    public TimeSpan MaxQueueDelay
    {
        get => _default.Scheduler.Settings.MaxQueueDelay;
        set
        {
            foreach (var version in model.Versions)
            {
                version.Scheduler.Settings.MaxQueueDelay = value;
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

    public TimeSpan PredictCompute(int rows) => _default.Scheduler.CostModel.Predict(rows);
}
