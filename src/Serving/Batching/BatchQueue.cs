using Serving.Contracts.Ranking.V1;

namespace Serving.Batching;

/// <summary>
/// The batcher's decisions, free of threads and clocks so they can be tested step by step: admits
/// or rejects a request, keeps its slices in priority-then-arrival order, drops expired and
/// cancelled rows, and says when a batch leaves and which slices it carries. Not thread-safe:
/// <see cref="BatchScheduler"/> calls it under its lock.
/// </summary>
internal sealed class BatchQueue(BatchSettings settings, BatchCostModel cost)
{
    private readonly LinkedList<PendingSlice> _normal = new();
    private readonly LinkedList<PendingSlice> _bestEffort = new();

    private int _normalRows;

    public int QueuedRows { get; private set; }

    public int QueuedSlices => _normal.Count + _bestEffort.Count;

    /// <summary>
    /// Admits the task or throws <see cref="ScoringRejectedException"/> with the reason. A normal
    /// task may evict queued best-effort tasks to fit; those are returned for the caller to fail.
    /// </summary>
    public List<ScoringTask> Admit(ScoringTask task, DateTimeOffset now, int busyReplicas, int replicas)
    {
        var rows = task.Rows.Rows;
        if (task.Deadline <= now)
        {
            throw new ScoringDeadlineExceededException("the deadline had passed when the request arrived");
        }

        var evicted = new List<ScoringTask>();
        if (task.Priority == Priority.BestEffort)
        {
            var limit = (int)(settings.MaxQueuedRows * settings.BestEffortMaxQueueFraction);
            if (QueuedRows + rows > limit)
            {
                throw new ScoringRejectedException(RejectionReasons.BestEffortShed, $"best-effort request shed: {QueuedRows} rows queued, best-effort admitted below {limit}");
            }
        }
        else
        {
            while (QueuedRows + rows > settings.MaxQueuedRows && _bestEffort.Last is { } last)
            {
                var victim = last.Value.Task;
                Remove(victim);
                evicted.Add(victim);
            }
        }

        if (QueuedRows + rows > settings.MaxQueuedRows)
        {
            throw new ScoringRejectedException(RejectionReasons.QueueFull, $"queue full: {QueuedRows} rows queued, {rows} more would exceed {settings.MaxQueuedRows}");
        }

        // With nothing queued ahead and a replica free, only a wait the mode imposes for certain
        // counts (static batching's max delay): the request is admitted whatever the cost model says, so batches keep running and a cost model thrown off
        // by one slow batch corrects itself instead of refusing everything from then on. A late
        // result is still never sent (DEADLINE_EXCEEDED).
        var idle = RowsAhead(task.Priority) == 0 && busyReplicas < replicas;
        var predicted = idle ? CertainWait(rows) : PredictCompletion(task, busyReplicas, replicas);
        var remaining = task.Deadline - now - settings.DeadlineSafetyMargin;
        if (predicted > remaining)
        {
            throw new ScoringRejectedException(
                RejectionReasons.PredictedMiss,
                $"predicted completion in {predicted.TotalMilliseconds:F2} ms exceeds the remaining budget of {Math.Max(0, remaining.TotalMilliseconds):F2} ms ({RowsAhead(task.Priority)} rows queued ahead)");
        }

        return evicted;
    }

    /// <summary>Predicted time from now until the task's last row is scored: the queue ahead drained at the pool's batch throughput, then its own rows.</summary>
    public TimeSpan PredictCompletion(ScoringTask task, int busyReplicas, int replicas)
    {
        var target = settings.Mode == BatchingMode.None ? Math.Max(task.Rows.Rows, 1) : settings.TargetBatchRows;
        var batchTime = cost.Predict(target).TotalSeconds;
        var rowsPerSecond = replicas * target / batchTime;
        var ahead = RowsAhead(task.Priority) + (busyReplicas * target / 2.0);
        var rows = task.Rows.Rows;
        var own = Math.Max(cost.Predict(Math.Min(rows, settings.MaxBatchRows)).TotalSeconds, rows / rowsPerSecond);
        var wait = ahead / rowsPerSecond;
        if (settings.Mode == BatchingMode.Static && QueuedRows + rows < settings.TargetBatchRows)
        {
            wait += settings.MaxQueueDelay.TotalSeconds;
        }

        return TimeSpan.FromSeconds(wait + own);
    }

    /// <summary>The wait the mode imposes whatever the cost: static batching holds a batch short of the target for the max delay.</summary>
    private TimeSpan CertainWait(int rows) =>
        settings.Mode == BatchingMode.Static && QueuedRows + rows < settings.TargetBatchRows ? settings.MaxQueueDelay : TimeSpan.Zero;

    public void Enqueue(ScoringTask task)
    {
        var list = task.Priority == Priority.BestEffort ? _bestEffort : _normal;
        var sliceRows = settings.SliceRows;
        for (var first = 0; first < task.Rows.Rows; first += sliceRows)
        {
            list.AddLast(task.AddSlice(first, Math.Min(sliceRows, task.Rows.Rows - first)));
        }

        QueuedRows += task.Rows.Rows;
        if (task.Priority != Priority.BestEffort)
        {
            _normalRows += task.Rows.Rows;
        }
    }

    /// <summary>Takes the task's queued slices out of the queue (cancellation, eviction, expiry).</summary>
    public void Remove(ScoringTask task)
    {
        var list = task.Priority == Priority.BestEffort ? _bestEffort : _normal;
        foreach (var slice in task.Queued)
        {
            list.Remove(slice);
            Count(slice, -1);
        }
    }

    /// <summary>Removes and returns the tasks whose deadline has passed while queued.</summary>
    public List<ScoringTask> RemoveExpired(DateTimeOffset now)
    {
        var expired = new List<ScoringTask>();
        Collect(_normal, now, expired);
        Collect(_bestEffort, now, expired);
        foreach (var task in expired)
        {
            Remove(task);
        }

        return expired;
    }

    /// <summary>
    /// The slices of the next batch to dispatch now, or null when the batch should keep waiting.
    /// Call only when a replica is free.
    /// </summary>
    public List<PendingSlice>? TakeBatch(DateTimeOffset now, int busyReplicas)
    {
        var head = _normal.First ?? _bestEffort.First;
        if (head is null || !ShouldDispatch(now, busyReplicas))
        {
            return null;
        }

        var batch = new List<PendingSlice>();
        var rows = 0;
        if (settings.Mode == BatchingMode.None)
        {
            Take(head, batch, ref rows);
            return batch;
        }

        var limit = settings.TargetBatchRows;
        foreach (var list in (LinkedList<PendingSlice>[])[_normal, _bestEffort])
        {
            var node = list.First;
            while (node is not null && rows < limit)
            {
                var next = node.Next;
                if (rows + node.Value.RowCount <= settings.MaxBatchRows)
                {
                    Take(node, batch, ref rows);
                }

                node = next;
            }
        }

        return batch;
    }

    /// <summary>The earliest deadline among queued rows (when they would expire); null when nothing waits.</summary>
    public DateTimeOffset? EarliestDeadline()
    {
        DateTimeOffset? earliest = null;
        foreach (var list in (LinkedList<PendingSlice>[])[_normal, _bestEffort])
        {
            foreach (var slice in list)
            {
                if (earliest is null || slice.Task.Deadline < earliest)
                {
                    earliest = slice.Task.Deadline;
                }
            }
        }

        return earliest;
    }

    /// <summary>When the queue's head batch must leave even if nothing else happens; null when nothing waits.</summary>
    public DateTimeOffset? NextDecisionTime()
    {
        if (QueuedSlices == 0)
        {
            return null;
        }

        var next = OldestEnqueuedAt() + settings.MaxQueueDelay;
        if (settings.Mode == BatchingMode.Adaptive)
        {
            var latestStart = LatestStart();
            next = latestStart < next ? latestStart : next;
        }

        return next;
    }

    private bool ShouldDispatch(DateTimeOffset now, int busyReplicas)
    {
        switch (settings.Mode)
        {
            case BatchingMode.None:
                return true;
            case BatchingMode.Static:
                return QueuedRows >= settings.TargetBatchRows || now - OldestEnqueuedAt() >= settings.MaxQueueDelay;
            default:
                return QueuedRows >= settings.TargetBatchRows
                    || busyReplicas == 0
                    || now - OldestEnqueuedAt() >= settings.MaxQueueDelay
                    || now >= LatestStart();
        }
    }

    /// <summary>The latest moment the head batch can start and still meet the earliest deadline in it.</summary>
    private DateTimeOffset LatestStart()
    {
        var earliest = DateTimeOffset.MaxValue;
        foreach (var list in (LinkedList<PendingSlice>[])[_normal, _bestEffort])
        {
            var rows = 0;
            for (var node = list.First; node is not null && rows < settings.TargetBatchRows; node = node.Next)
            {
                rows += node.Value.RowCount;
                earliest = node.Value.Task.Deadline < earliest ? node.Value.Task.Deadline : earliest;
            }
        }

        var batchRows = Math.Min(Math.Max(QueuedRows, 1), settings.TargetBatchRows);
        return earliest - cost.Predict(batchRows) - settings.DeadlineSafetyMargin;
    }

    private DateTimeOffset OldestEnqueuedAt()
    {
        var a = _normal.First?.Value.Task.EnqueuedAt ?? DateTimeOffset.MaxValue;
        var b = _bestEffort.First?.Value.Task.EnqueuedAt ?? DateTimeOffset.MaxValue;
        return a < b ? a : b;
    }

    private void Take(LinkedListNode<PendingSlice> node, List<PendingSlice> batch, ref int rows)
    {
        node.List!.Remove(node);
        Count(node.Value, -1);
        rows += node.Value.RowCount;
        batch.Add(node.Value);
    }

    private void Count(PendingSlice slice, int sign)
    {
        QueuedRows += sign * slice.RowCount;
        if (slice.Task.Priority != Priority.BestEffort)
        {
            _normalRows += sign * slice.RowCount;
        }
    }

    private int RowsAhead(Priority priority) => priority == Priority.BestEffort ? QueuedRows : _normalRows;

    private static void Collect(LinkedList<PendingSlice> list, DateTimeOffset now, List<ScoringTask> expired)
    {
        foreach (var slice in list)
        {
            if (slice.Task.Deadline <= now && !expired.Contains(slice.Task))
            {
                expired.Add(slice.Task);
            }
        }
    }
}
