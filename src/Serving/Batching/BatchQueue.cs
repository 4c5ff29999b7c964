using Serving.Contracts.Ranking.V1;

namespace Serving.Batching;

/// <summary>
/// The batcher's decisions, free of threads and clocks so they can be tested step by step: admits
/// or rejects a request, keeps its slices in priority-then-arrival order, drops expired and
/// cancelled rows, and says when a batch leaves and which slices it carries. Not thread-safe:
/// <see cref="BatchScheduler"/> calls it under its lock.
/// </summary>
internal sealed class BatchQueue(BatchingOptions options, IBatchCostPredictor cost)
{
    private readonly LinkedList<RowSlice> _normal = new();
    private readonly LinkedList<RowSlice> _bestEffort = new();

    private int _normalRows;
    private int _targetBatchRows = options.TargetBatchRows;
    private TimeSpan _maxQueueDelay = options.MaxQueueDelay;

    /// <summary>Rows at which a batch leaves at once (the allocator turns it); clamped to [1, MaxBatchRows].</summary>
    public int TargetBatchRows
    {
        get => _targetBatchRows;
        set => _targetBatchRows = Math.Clamp(value, 1, options.MaxBatchRows);
    }

    /// <summary>Longest a row waits for more rows (the allocator turns it); at least zero.</summary>
    public TimeSpan MaxQueueDelay
    {
        get => _maxQueueDelay;
        set => _maxQueueDelay = value < TimeSpan.Zero ? TimeSpan.Zero : value;
    }

    public int QueuedRows { get; private set; }

    /// <summary>How late admitted requests finish beyond their predicted completion; admission adds it to what it predicts.</summary>
    public LatenessEstimator Lateness { get; } = new();

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
            throw new DeadlineExceededException("the deadline had passed when the request arrived");
        }

        var evicted = new List<ScoringTask>();
        if (task.Priority == Priority.BestEffort)
        {
            var limit = (int)(options.MaxQueuedRows * options.BestEffortMaxQueueFraction);
            if (QueuedRows + rows > limit)
            {
                throw new ScoringRejectedException(RejectionReasons.BestEffortShed, $"best-effort request shed: {QueuedRows} rows queued, best-effort admitted below {limit}");
            }
        }
        else
        {
            while (QueuedRows + rows > options.MaxQueuedRows && _bestEffort.Last is { } last)
            {
                var victim = last.Value.Owner!;
                Remove(victim);
                evicted.Add(victim);
            }
        }

        if (QueuedRows + rows > options.MaxQueuedRows)
        {
            throw new ScoringRejectedException(RejectionReasons.QueueFull, $"queue full: {QueuedRows} rows queued, {rows} more would exceed {options.MaxQueuedRows}");
        }

        // With nothing queued ahead and a replica free, only a wait the mode imposes for certain
        // counts (static batching's max delay): the request is admitted whatever the cost model says, so batches keep running and a cost model thrown off
        // by one slow batch corrects itself instead of refusing everything from then on. A late
        // result is still never sent (DEADLINE_EXCEEDED).
        // Either way the prediction carries the lateness learned from earlier requests (how much
        // later than predicted their callers could answer), at most half the request's budget: it
        // refuses a request that arrives with too little budget left for the server's current lag.
        // When idle, the model's own compute counts up to the other half only, so the two together
        // never refuse an idle request (an idle replica always gets work to learn from).
        var idle = RowsAhead(task.Priority) == 0 && busyReplicas < replicas;
        var expected = PredictCompletion(task, busyReplicas);
        task.ExpectedFinish = now + expected;
        var remaining = task.Deadline - now - options.DeadlineSafetyMargin;
        var half = remaining / 2;
        var allowance = Lateness.Allowance < half ? Lateness.Allowance : half;
        var predicted = (idle ? CertainWait(rows) + (expected < half ? expected : half) : expected) + allowance;
        if (predicted > remaining)
        {
            throw new ScoringRejectedException(
                RejectionReasons.PredictedMiss,
                $"predicted completion in {predicted.TotalMilliseconds:F2} ms exceeds the remaining budget of {Math.Max(0, remaining.TotalMilliseconds):F2} ms ({RowsAhead(task.Priority)} rows queued ahead)");
        }

        return evicted;
    }

    /// <summary>Predicted time from now until the task's last row is scored: the queue ahead drained at the executor's batch throughput, then its own rows.</summary>
    public TimeSpan PredictCompletion(ScoringTask task, int busyReplicas)
    {
        var target = options.Mode == BatchingMode.None ? Math.Max(task.Rows.Rows, 1) : TargetBatchRows;
        var rowsPerSecond = Math.Max(cost.RowsPerSecond(target), 1e-9);
        var ahead = RowsAhead(task.Priority) + (busyReplicas * target / 2.0);
        var rows = task.Rows.Rows;
        var own = Math.Max(cost.PredictCompute(Math.Min(rows, options.MaxBatchRows)).TotalSeconds, rows / rowsPerSecond);
        var wait = ahead / rowsPerSecond;
        if (options.Mode == BatchingMode.Static && QueuedRows + rows < TargetBatchRows)
        {
            wait += MaxQueueDelay.TotalSeconds;
        }

        return TimeSpan.FromSeconds(wait + own);
    }

    /// <summary>The wait the mode imposes whatever the cost: static batching holds a batch short of the target for the max delay.</summary>
    private TimeSpan CertainWait(int rows) =>
        options.Mode == BatchingMode.Static && QueuedRows + rows < TargetBatchRows ? MaxQueueDelay : TimeSpan.Zero;

    public void Enqueue(ScoringTask task)
    {
        var list = task.Priority == Priority.BestEffort ? _bestEffort : _normal;
        var sliceRows = options.SliceRows(TargetBatchRows);
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

    /// <summary>Takes the task's queued slices out of the queue (cancellation, eviction, expiry, a failed batch).</summary>
    public void Remove(ScoringTask task)
    {
        var list = task.Priority == Priority.BestEffort ? _bestEffort : _normal;
        foreach (var slice in task.Queued)
        {
            // Idempotent: a task may be removed twice (two of its slices in a failed batch).
            if (list.Remove(slice))
            {
                Count(slice, -1);
            }
        }

        task.Queued.Clear(); // here, under the batcher's lock: the only place a task's queued slices are dropped
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
    /// The next batch to dispatch now, its slices out of the queue, or null when the batch should
    /// keep waiting. Call only when a replica is free.
    /// </summary>
    public Batch? TakeBatch(DateTimeOffset now, int busyReplicas)
    {
        var head = _normal.First ?? _bestEffort.First;
        if (head is null || !ShouldDispatch(now, busyReplicas))
        {
            return null;
        }

        var batch = new List<RowSlice>();
        var rows = 0;
        if (options.Mode == BatchingMode.None)
        {
            Take(head, batch, ref rows);
            return new Batch(batch, now);
        }

        var limit = TargetBatchRows;
        foreach (var list in (LinkedList<RowSlice>[])[_normal, _bestEffort])
        {
            var node = list.First;
            while (node is not null && rows < limit)
            {
                var next = node.Next;
                if (rows + node.Value.RowCount <= options.MaxBatchRows)
                {
                    Take(node, batch, ref rows);
                }

                node = next;
            }
        }

        return new Batch(batch, now);
    }

    /// <summary>The earliest deadline among queued rows (when they would expire); null when nothing waits.</summary>
    public DateTimeOffset? EarliestDeadline()
    {
        DateTimeOffset? earliest = null;
        foreach (var list in (LinkedList<RowSlice>[])[_normal, _bestEffort])
        {
            foreach (var slice in list)
            {
                if (earliest is null || slice.Deadline < earliest)
                {
                    earliest = slice.Deadline;
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

        var next = OldestEnqueuedAt() + MaxQueueDelay;
        if (options.Mode == BatchingMode.Adaptive)
        {
            var latestStart = LatestStart();
            next = latestStart < next ? latestStart : next;
        }

        return next;
    }

    private bool ShouldDispatch(DateTimeOffset now, int busyReplicas)
    {
        switch (options.Mode)
        {
            case BatchingMode.None:
                return true;
            case BatchingMode.Static:
                return QueuedRows >= TargetBatchRows || now - OldestEnqueuedAt() >= MaxQueueDelay;
            default:
                return QueuedRows >= TargetBatchRows
                    || busyReplicas == 0
                    || now - OldestEnqueuedAt() >= MaxQueueDelay
                    || now >= LatestStart();
        }
    }

    /// <summary>The latest moment the head batch can start and still meet the earliest deadline in it.</summary>
    private DateTimeOffset LatestStart()
    {
        var earliest = DateTimeOffset.MaxValue;
        foreach (var list in (LinkedList<RowSlice>[])[_normal, _bestEffort])
        {
            var rows = 0;
            for (var node = list.First; node is not null && rows < TargetBatchRows; node = node.Next)
            {
                rows += node.Value.RowCount;
                earliest = node.Value.Deadline < earliest ? node.Value.Deadline : earliest;
            }
        }

        var batchRows = Math.Min(Math.Max(QueuedRows, 1), TargetBatchRows);
        return earliest - cost.PredictCompute(batchRows) - options.DeadlineSafetyMargin;
    }

    private DateTimeOffset OldestEnqueuedAt()
    {
        var a = _normal.First?.Value.Owner!.EnqueuedAt ?? DateTimeOffset.MaxValue;
        var b = _bestEffort.First?.Value.Owner!.EnqueuedAt ?? DateTimeOffset.MaxValue;
        return a < b ? a : b;
    }

    private void Take(LinkedListNode<RowSlice> node, List<RowSlice> batch, ref int rows)
    {
        node.List!.Remove(node);
        Count(node.Value, -1);
        rows += node.Value.RowCount;
        batch.Add(node.Value);
    }

    private void Count(RowSlice slice, int sign)
    {
        QueuedRows += sign * slice.RowCount;
        if (slice.Owner!.Priority != Priority.BestEffort)
        {
            _normalRows += sign * slice.RowCount;
        }
    }

    private int RowsAhead(Priority priority) => priority == Priority.BestEffort ? QueuedRows : _normalRows;

    private static void Collect(LinkedList<RowSlice> list, DateTimeOffset now, List<ScoringTask> expired)
    {
        foreach (var slice in list)
        {
            if (slice.Deadline <= now && !expired.Contains(slice.Owner!))
            {
                expired.Add(slice.Owner!);
            }
        }
    }
}
