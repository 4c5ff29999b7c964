using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;

namespace Serving.Batching;

/// <summary>
/// Mode <c>none</c>: no cross-request batching. A request runs alone, split into slices of at most
/// the replicas' batch capacity that run in parallel on free replicas.
/// </summary>
public sealed class UnbatchedScheduler(DevicePool pool, int sliceRows) : IRowScheduler
{
    public async Task<ScoreResult> ScoreAsync(FeatureRows rows, DateTimeOffset deadline, Priority priority, CancellationToken cancellationToken)
    {
        var scores = new float[rows.Rows];
        var sliceCount = (rows.Rows + sliceRows - 1) / sliceRows;
        var tasks = new Task<BatchExecution>[sliceCount];
        for (var s = 0; s < sliceCount; s++)
        {
            var first = s * sliceRows;
            var count = Math.Min(sliceRows, rows.Rows - first);
            tasks[s] = pool.ExecuteAsync([new RowSlice(rows, first, count, scores.AsMemory(first, count))], count);
        }

        var batches = await Task.WhenAll(tasks).ConfigureAwait(false);
        return ScoreResult.Combine(scores, batches);
    }

    public ValueTask DisposeAsync() => pool.DisposeAsync();
}
