namespace Serving.Batching;

/// <summary>A request's scores and what it cost: the longest queue wait and compute of its slices, the largest batch.</summary>
public sealed record ScoreResult(float[] Scores, string Device, int BatchRows, TimeSpan QueueWait, TimeSpan Compute)
{
    public static ScoreResult Combine(float[] scores, IReadOnlyList<BatchExecution> batches)
    {
        var device = batches[0].Device;
        var batchRows = 0;
        var queue = TimeSpan.Zero;
        var compute = TimeSpan.Zero;
        foreach (var b in batches)
        {
            batchRows = Math.Max(batchRows, b.BatchRows);
            queue = b.QueueWait > queue ? b.QueueWait : queue;
            compute = b.Compute > compute ? b.Compute : compute;
            if (b.Device != device)
            {
                device = "mixed";
            }
        }

        return new ScoreResult(scores, device, batchRows, queue, compute);
    }
}
