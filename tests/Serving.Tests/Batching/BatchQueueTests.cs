using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;

namespace Serving.Tests.Batching;

public class BatchQueueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    /// <summary>A pool of two replicas whose batches cost <paramref name="fixedMs"/> plus <paramref name="perRowMs"/> a row.</summary>
    private static PoolCost Cost(double fixedMs = 0.1, double perRowMs = 0.01)
    {
        var cost = new BatchCostModel();
        cost.Observe(1, TimeSpan.FromMilliseconds(fixedMs + perRowMs));
        cost.Observe(1001, TimeSpan.FromMilliseconds(fixedMs + (1001 * perRowMs)));
        return new PoolCost(cost, Replicas: 2);
    }

    private static BatchingOptions Settings(BatchingMode mode, int target = 100, int maxQueued = 1000, double maxDelayMs = 2) => new()
    {
        Mode = mode,
        TargetBatchRows = target,
        MaxBatchRows = 400,
        MaxQueuedRows = maxQueued,
        MaxQueueDelay = TimeSpan.FromMilliseconds(maxDelayMs),
        DeadlineSafetyMargin = TimeSpan.Zero,
    };

    private ScoringTask Task(int rows, DateTimeOffset enqueuedAt, double deadlineMs = 10, Priority priority = Priority.Normal) =>
        new(FeatureRows.Rent(_spec.Inputs, rows), enqueuedAt + TimeSpan.FromMilliseconds(deadlineMs), priority, enqueuedAt);

    private static void Add(BatchQueue queue, ScoringTask task, DateTimeOffset now)
    {
        queue.Admit(task, now, busyReplicas: 0, replicas: 2);
        queue.Enqueue(task);
    }

    [Fact]
    public void Static_batch_waits_until_the_target_rows_arrive()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Static), Cost());
        Add(queue, Task(60, T0), T0);
        Assert.Null(queue.TakeBatch(T0, busyReplicas: 0));

        Add(queue, Task(50, T0), T0);
        var batch = queue.TakeBatch(T0, busyReplicas: 0);

        Assert.NotNull(batch);
        Assert.Equal([60, 50], batch.Slices.Select(s => s.RowCount));
        Assert.Equal(0, queue.QueuedRows);
    }

    [Fact]
    public void Static_batch_leaves_at_the_max_queue_delay()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Static, maxDelayMs: 2), Cost());
        Add(queue, Task(10, T0), T0);

        Assert.Null(queue.TakeBatch(T0.AddMilliseconds(1.9), busyReplicas: 0));
        Assert.Equal(T0.AddMilliseconds(2), queue.NextDecisionTime());
        Assert.Equal([10], queue.TakeBatch(T0.AddMilliseconds(2), busyReplicas: 0)!.Slices.Select(s => s.RowCount));
    }

    [Fact]
    public void Adaptive_batch_leaves_when_waiting_longer_would_miss_the_earliest_deadline()
    {
        // Compute for 10 rows ≈ 0.2 ms; deadline 5 ms: the batch must start by 4.8 ms, before the 8 ms max delay.
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive, maxDelayMs: 8), Cost());
        Add(queue, Task(10, T0, deadlineMs: 5), T0);

        var latestStart = queue.NextDecisionTime()!.Value;
        Assert.Equal(4.8, (latestStart - T0).TotalMilliseconds, 2);
        Assert.Null(queue.TakeBatch(latestStart.AddMilliseconds(-0.01), busyReplicas: 1));
        Assert.NotNull(queue.TakeBatch(latestStart, busyReplicas: 1));
    }

    [Fact]
    public void Adaptive_batch_goes_at_once_to_an_idle_device()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive), Cost());
        Add(queue, Task(10, T0), T0);

        Assert.Null(queue.TakeBatch(T0, busyReplicas: 1));
        Assert.NotNull(queue.TakeBatch(T0, busyReplicas: 0));
    }

    [Fact]
    public void Requests_smaller_than_the_target_share_a_batch_and_larger_ones_are_sliced()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive, target: 100), Cost());
        var big = Task(250, T0, deadlineMs: 50);
        var small = Task(30, T0, deadlineMs: 50);
        Add(queue, big, T0);
        Add(queue, small, T0);

        Assert.Equal(3, big.Queued.Count);
        Assert.Equal([(0, 100), (100, 100), (200, 50)], big.Queued.Select(s => (s.FirstRow, s.RowCount)));
        var first = queue.TakeBatch(T0, busyReplicas: 1)!;
        var second = queue.TakeBatch(T0, busyReplicas: 1)!;
        var third = queue.TakeBatch(T0, busyReplicas: 0)!;
        Assert.Equal([100], first.Slices.Select(s => s.RowCount));
        Assert.Equal([100], second.Slices.Select(s => s.RowCount));
        Assert.Equal([(200, 50), (0, 30)], third.Slices.Select(s => (s.FirstRow, s.RowCount)));
    }

    [Fact]
    public void Mode_none_never_puts_two_requests_in_one_batch()
    {
        var queue = new BatchQueue(Settings(BatchingMode.None), Cost());
        Add(queue, Task(5, T0), T0);
        Add(queue, Task(5, T0), T0);

        Assert.Single(queue.TakeBatch(T0, busyReplicas: 0)!.Slices);
        Assert.Single(queue.TakeBatch(T0, busyReplicas: 1)!.Slices);
    }

    [Fact]
    public void Expired_rows_are_removed_before_any_batch_forms()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive), Cost());
        var early = Task(10, T0, deadlineMs: 1);
        var late = Task(10, T0, deadlineMs: 20);
        Add(queue, early, T0);
        Add(queue, late, T0);

        var expired = queue.RemoveExpired(T0.AddMilliseconds(1));

        Assert.Equal([early], expired);
        Assert.Equal(10, queue.QueuedRows);
        Assert.Equal([late], queue.TakeBatch(T0.AddMilliseconds(2), busyReplicas: 0)!.Slices.Select(s => s.Owner));
    }

    [Fact]
    public void Removing_a_cancelled_task_takes_all_its_slices_out()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Static), Cost());
        var cancelled = Task(250, T0, deadlineMs: 50);
        Add(queue, cancelled, T0);

        queue.Remove(cancelled);

        Assert.Equal(0, queue.QueuedRows);
        Assert.Null(queue.TakeBatch(T0.AddMilliseconds(10), busyReplicas: 0));
        Assert.Null(queue.NextDecisionTime());
    }

    [Fact]
    public void Removing_a_task_twice_counts_its_rows_once()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Static), Cost());
        var removed = Task(250, T0, deadlineMs: 50);
        Add(queue, removed, T0);
        Add(queue, Task(30, T0, deadlineMs: 50), T0);

        queue.Remove(removed);
        queue.Remove(removed);

        Assert.Equal(30, queue.QueuedRows);
    }

    [Fact]
    public void Admission_rejects_a_predicted_miss_and_accepts_what_fits()
    {
        // 0.1 ms + 0.01 ms/row on 2 replicas at target 100: ~1.82 ms per 100 rows in the pool.
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive, target: 100, maxQueued: 100_000), Cost());
        for (var i = 0; i < 8; i++)
        {
            Add(queue, Task(100, T0, deadlineMs: 100), T0);
        }

        var predicted = queue.PredictCompletion(Task(10, T0), busyReplicas: 0);
        Assert.InRange(predicted.TotalMilliseconds, 4, 6);

        var tooTight = Task(10, T0, deadlineMs: 3);
        var ex = Assert.Throws<ScoringRejectedException>(() => queue.Admit(tooTight, T0, 0, 2));
        Assert.Equal(RejectionReasons.PredictedMiss, ex.Reason);
        Assert.Contains("800 rows queued ahead", ex.Message, StringComparison.Ordinal);

        Assert.Empty(queue.Admit(Task(10, T0, deadlineMs: 8), T0, 0, 2));
    }

    [Fact]
    public void Learned_lateness_is_added_to_the_prediction_up_to_half_the_budget()
    {
        // As in the test above, 800 rows ahead: ~4.6 ms predicted; a 6 ms deadline fits...
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive, target: 100, maxQueued: 100_000), Cost());
        for (var i = 0; i < 8; i++)
        {
            Add(queue, Task(100, T0, deadlineMs: 100), T0);
        }

        Assert.Empty(queue.Admit(Task(10, T0, deadlineMs: 6), T0, 0, 2));

        // ... until requests have been finishing ~2 ms later than predicted.
        for (var i = 0; i < 25; i++)
        {
            queue.Lateness.Observe(TimeSpan.FromMilliseconds(3));
        }

        var ex = Assert.Throws<ScoringRejectedException>(() => queue.Admit(Task(10, T0, deadlineMs: 6), T0, 0, 2));
        Assert.Equal(RejectionReasons.PredictedMiss, ex.Reason);

        // The allowance never takes more than half the budget: a generous deadline still fits.
        Assert.Empty(queue.Admit(Task(10, T0, deadlineMs: 20), T0, 0, 2));
    }

    [Fact]
    public void An_idle_pool_admits_even_when_a_stale_cost_model_predicts_a_miss()
    {
        // One pathological batch taught the model 65 ms per batch: without this rule every request
        // would be refused, no batch would run again, and the model could never correct itself.
        var stale = new BatchCostModel();
        stale.Observe(10, TimeSpan.FromMilliseconds(65));
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive, target: 100), new PoolCost(stale, Replicas: 2));

        Assert.Empty(queue.Admit(Task(10, T0, deadlineMs: 10), T0, busyReplicas: 1, replicas: 2));

        Add(queue, Task(10, T0, deadlineMs: 1000), T0);
        var ex = Assert.Throws<ScoringRejectedException>(() => queue.Admit(Task(10, T0, deadlineMs: 10), T0, busyReplicas: 1, replicas: 2));
        Assert.Equal(RejectionReasons.PredictedMiss, ex.Reason);
    }

    [Fact]
    public void Queue_is_bounded_in_rows()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Static, maxQueued: 300), Cost());
        Add(queue, Task(200, T0, deadlineMs: 1000), T0);

        var ex = Assert.Throws<ScoringRejectedException>(() => queue.Admit(Task(101, T0, deadlineMs: 1000), T0, 0, 2));

        Assert.Equal(RejectionReasons.QueueFull, ex.Reason);
        Assert.Equal(200, queue.QueuedRows);
    }

    [Fact]
    public void Best_effort_is_shed_before_normal_priority()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Static, maxQueued: 300), Cost());
        var bestEffort = Task(140, T0, deadlineMs: 1000, Priority.BestEffort);
        Add(queue, bestEffort, T0);

        // Best effort is admitted only below half the queue.
        var shed = Assert.Throws<ScoringRejectedException>(() => queue.Admit(Task(20, T0, 1000, Priority.BestEffort), T0, 0, 2));
        Assert.Equal(RejectionReasons.BestEffortShed, shed.Reason);

        // A normal request that does not fit evicts queued best-effort work.
        var normal = Task(250, T0, deadlineMs: 1000);
        var evicted = queue.Admit(normal, T0, 0, 2);
        queue.Enqueue(normal);

        Assert.Equal([bestEffort], evicted);
        Assert.Equal(250, queue.QueuedRows);
    }

    [Fact]
    public void Normal_priority_rows_are_batched_before_best_effort_rows()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Static, target: 50, maxQueued: 1000), Cost());
        Add(queue, Task(30, T0, 1000, Priority.BestEffort), T0);
        var normal = Task(30, T0.AddMilliseconds(1), 1000);
        Add(queue, normal, T0.AddMilliseconds(1));

        var batch = queue.TakeBatch(T0.AddMilliseconds(1), busyReplicas: 0)!;

        Assert.Equal(normal, batch.Slices[0].Owner);
    }

    [Fact]
    public void A_request_past_its_deadline_on_arrival_is_refused()
    {
        var queue = new BatchQueue(Settings(BatchingMode.Adaptive), Cost());

        Assert.Throws<DeadlineExceededException>(() => queue.Admit(Task(1, T0, deadlineMs: 0), T0, 0, 2));
    }

    /// <summary>What the queue asks of its executor, from one cost model and a replica count, as a device pool answers it.</summary>
    private sealed record PoolCost(BatchCostModel Model, int Replicas) : IBatchCostPredictor
    {
        public TimeSpan PredictCompute(int rows) => Model.Predict(rows);

        public double RowsPerSecond(int batchRows) => Replicas * batchRows / Model.Predict(batchRows).TotalSeconds;
    }
}
