namespace Serving.Batching;

/// <summary>What a batch costs on the executor behind a batcher: admission and dispatch decide from it.</summary>
public interface IBatchCostPredictor
{
    /// <summary>Predicted compute time of one batch of <paramref name="rows"/> on the device it would run on.</summary>
    TimeSpan PredictCompute(int rows);

    /// <summary>Rows per second the executor's active replicas compute together, in batches of <paramref name="batchRows"/>.</summary>
    double RowsPerSecond(int batchRows);
}
