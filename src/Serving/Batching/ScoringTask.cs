using System.Diagnostics;
using Serving.Contracts.Ranking.V1;
using Serving.Features;

namespace Serving.Batching;

/// <summary>
/// One request inside the batcher: its rows, deadline and priority, its slices still queued, and
/// the scores and timings gathered as its slices complete. It owns the rows: it completes, and
/// returns them to the pool, only once none of its rows is executing, so a session never reads
/// returned buffers (the caller may have been answered before, at its deadline).
/// </summary>
internal sealed class ScoringTask
{
    /// <summary>
    /// Completed outside the lock; the caller resumes on the thread pool, never inline on the
    /// device's worker (which then would write responses instead of running the next batch: tried,
    /// and under overload the replicas stalled behind HTTP/2 writes).
    /// </summary>
    private readonly TaskCompletionSource<ScoreResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ScoreResult? _result;
    private readonly List<BatchExecution> _batches = [];
    private int _slicesLeft;
    private int _executing;
    private bool _done;
    private Exception? _failure;

    public ScoringTask(FeatureRows rows, DateTimeOffset deadline, Priority priority, DateTimeOffset enqueuedAt)
    {
        Rows = rows;
        Scores = new float[rows.Rows];
        Deadline = deadline;
        Priority = priority;
        EnqueuedAt = enqueuedAt;
    }

    public FeatureRows Rows { get; }
    public float[] Scores { get; }
    public DateTimeOffset Deadline { get; }
    public Priority Priority { get; }
    public DateTimeOffset EnqueuedAt { get; }

    /// <summary>The caller's trace context, for the request's queue spans and its batches' links (default with tracing off).</summary>
    public ActivityContext TraceParent { get; init; }

    /// <summary>When admission predicted the request would finish (the lateness estimate learns from the difference).</summary>
    public DateTimeOffset ExpectedFinish { get; set; }

    /// <summary>
    /// The task's slices still waiting in the queue. The batcher's list: read and changed only under
    /// its lock (enqueue, start, <see cref="BatchQueue.Remove"/>), never by a failure, which runs
    /// outside that lock while another failure path may be removing the same task under it.
    /// </summary>
    public List<RowSlice> Queued { get; } = [];

    public Task<ScoreResult> Completion => _completion.Task;

    /// <summary>Failed, cancelled or expired: its queued slices are gone and no more of its rows start.</summary>
    public bool Finished => Volatile.Read(ref _failure) is not null;

    public RowSlice AddSlice(int firstRow, int rowCount)
    {
        var slice = new RowSlice(this, firstRow, rowCount);
        Queued.Add(slice);
        _slicesLeft++;
        return slice;
    }

    /// <summary>The slice leaves the queue in a batch (called under the batcher's lock).</summary>
    public void Start(RowSlice slice)
    {
        Queued.Remove(slice);
        lock (_batches)
        {
            _executing++;
        }
    }

    public void SliceCompleted(BatchExecution batch)
    {
        bool finished;
        lock (_batches)
        {
            _batches.Add(batch);
            _slicesLeft--;
            _executing--;
            finished = TryFinish();
        }

        Publish(finished);
    }

    /// <summary>A slice's batch failed: the task fails (its queued slices must already be out of the queue) once nothing of it executes.</summary>
    public void SliceFailed(Exception error)
    {
        bool finished;
        lock (_batches)
        {
            _slicesLeft--;
            _executing--;
            _failure ??= error; // a failed task finishes once nothing of it executes, whatever slices are left
            finished = TryFinish();
        }

        Publish(finished);
    }

    /// <summary>Ends the task with <paramref name="error"/> once nothing of it executes (its queued slices must already be removed).</summary>
    public void Fail(Exception error)
    {
        bool finished;
        lock (_batches)
        {
            _failure ??= error;
            finished = TryFinish();
        }

        Publish(finished);
    }

    /// <summary>Decides, under the lock, whether the task is done now (once): nothing of it runs, and it failed or every slice came back.</summary>
    private bool TryFinish()
    {
        if (_executing > 0 || _done || (_failure is null && _slicesLeft > 0))
        {
            return false;
        }

        _done = true;
        _result = _failure is null ? ScoreResult.Combine(Scores, _batches) : null;
        return true;
    }

    /// <summary>Returns the rows and completes the task, outside the lock.</summary>
    private void Publish(bool finished)
    {
        if (!finished)
        {
            return;
        }

        Rows.Dispose();
        if (_result is { } result)
        {
            _completion.TrySetResult(result);
        }
        else
        {
            _completion.TrySetException(_failure!);
        }
    }
}
