namespace Serving.Batching;

/// <summary>A request's scores and what it cost: the longest queue wait and compute of its slices, the largest batch, when the last slice finished (default when unknown).</summary>
public sealed record ScoreResult(float[] Scores, string Device, int BatchRows, TimeSpan QueueWait, TimeSpan Compute, DateTimeOffset FinishedAt = default)
{
    public static ScoreResult Combine(float[] scores, IReadOnlyList<BatchExecution> batches)
    {
        var device = batches[0].Device;
        var batchRows = 0;
        var queue = TimeSpan.Zero;
        var compute = TimeSpan.Zero;
        var finished = DateTimeOffset.MinValue;
        var finishKnown = true;
        foreach (var b in batches)
        {
            finishKnown &= b.FinishedAt != default;
            finished = b.FinishedAt > finished ? b.FinishedAt : finished;
            batchRows = Math.Max(batchRows, b.BatchRows);
            queue = b.QueueWait > queue ? b.QueueWait : queue;
            compute = b.Compute > compute ? b.Compute : compute;
            if (b.Device != device)
            {
                device = "mixed";
            }
        }

        return new ScoreResult(scores, device, batchRows, queue, compute, finishKnown ? finished : default);
    }
}
