using Serving.Batching;
using Serving.Execution;
using Serving.Fleet.Devices;
using Serving.Fleet.Traces;

namespace Serving.Fleet.Pods;

/// <summary>
/// One model inside a simulated pod: the real <see cref="BatchQueue"/> with the real
/// <see cref="BatchCostModel"/> behind it (seeded by warm-up runs at every batch size class, then
/// learning from every simulated batch, as <c>DevicePool</c> does), its session replicas, and the
/// requests it has in flight.
/// </summary>
internal sealed class ModelLane : IBatchCostPredictor
{
    public ModelLane(SimModel model, PodProfile profile)
    {
        Model = model;
        Curve = profile.Curves[model.Name];
        LoadedReplicas = profile.LoadedReplicas;
        ActiveReplicas = profile.LoadedReplicas;
        Options = new BatchingOptions { Mode = BatchingMode.Adaptive };
        for (var rows = 1; rows <= Options.MaxBatchRows; rows *= 2)
        {
            Cost.Seed(rows, Curve.Compute(rows));
        }

        Queue = new BatchQueue(Options, this);
    }

    public SimModel Model { get; }

    public CostCurve Curve { get; }

    public BatchingOptions Options { get; }

    public BatchCostModel Cost { get; } = new();

    public BatchQueue Queue { get; }

    public int LoadedReplicas { get; }

    public int ActiveReplicas { get; set; }

    /// <summary>Batches taken from the queue and not yet computed (running or waiting for a processor).</summary>
    public int BusyReplicas { get; set; }

    /// <summary>Requests admitted and not finished, by their batcher task.</summary>
    public Dictionary<ScoringTask, SimRequest> InFlight { get; } = [];

    /// <summary>When a dispatch timer is pending for; null when none.</summary>
    public DateTimeOffset? TimerAt { get; set; }

    public LaneCounters Counters { get; set; } = new();

    public TimeSpan PredictCompute(int rows) => Cost.Predict(rows);

    public double RowsPerSecond(int batchRows) =>
        ActiveReplicas * Math.Max(batchRows, 1) / Math.Max(Cost.Predict(Math.Max(batchRows, 1)).TotalSeconds, 1e-9);
}

/// <summary>A model as the fleet serves it: its name, SLO and request sizes.</summary>
internal sealed record SimModel(string Name, TimeSpan Slo, CandidateDistribution Candidates);
