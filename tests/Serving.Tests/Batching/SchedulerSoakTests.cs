using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;
using Serving.Tests.Execution;
using Xunit.Abstractions;

namespace Serving.Tests.Batching;

/// <summary>
/// The batcher, the router and two device pools under a soak: one thread turns the allocator's
/// knobs (target batch rows, max queue delay, each pool's active replicas) and the injected clock a
/// millisecond at a time, while four threads submit requests of mixed sizes and priorities with
/// random deadlines and cancellations; sessions fail at random, and the GPU pool's chaos strategy
/// faults and delays its tries. At the end every invariant of the queue and the pools must hold.
/// </summary>
public sealed class SchedulerSoakTests(ITestOutputHelper output)
{
    private const int MaxRequests = 20_000;
    private const int Submitters = 4;
    private const int OutstandingPerSubmitter = 16;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly SteppedTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();
    private readonly ConcurrentBag<string> _violations = [];
    private readonly ConcurrentDictionary<string, int> _outcomes = new();
    private readonly ConcurrentBag<FeatureRows> _rented = [];
    private int _submitted;
    private int _answered;

    [Fact]
    public async Task Knobs_flipped_every_millisecond_under_mixed_load_with_failures_chaos_and_cancellations_keep_the_queue_and_pools_consistent()
    {
        var cpuReplicas = Enumerable.Range(0, 3).Select(i => new ChaosReplica(seed: 1 + i, failureRate: 0.05)).ToList();
        var gpuReplicas = Enumerable.Range(0, 2).Select(i => new ChaosReplica(seed: 11 + i, failureRate: 0.05)).ToList();

        // A run past 20 ms of the injected clock is terminated (the knob thread moves it on while runs go).
        var limits = new DevicePoolLimits(RunTimeout: TimeSpan.FromMilliseconds(20), StopTimeout: TimeSpan.FromSeconds(5));
        var cpu = new DevicePool("cpu", [.. cpuReplicas], new BatchCostModel(), _time, NullLogger.Instance, limits: limits);
        var gpu = new DevicePool("gpu", [.. gpuReplicas], new BatchCostModel(), _time, NullLogger.Instance, limits: limits);
        var gpuOptions = new GpuPoolOptions
        {
            StandIn = true,
            SmallBatchCpuRows = 8,
            Resilience = new GpuResilienceOptions
            {
                BatchTimeout = TimeSpan.FromMilliseconds(20),
                FailureRatio = 0.8,
                MinimumThroughput = 20,
                SamplingDuration = TimeSpan.FromSeconds(1),
                BreakDuration = TimeSpan.FromMilliseconds(500),
            },
            Chaos = new GpuChaosOptions { FaultRate = 0.2, LatencyRate = 0.1, Latency = TimeSpan.FromMilliseconds(5) },
        };
        var router = new DeviceRouter(cpu, gpu, gpuOptions, _time);
        var batching = new BatchingOptions
        {
            Mode = BatchingMode.Adaptive,
            TargetBatchRows = 64,
            MaxBatchRows = 256,
            MaxQueuedRows = 2048,
            MaxQueueDelay = TimeSpan.FromMilliseconds(2),
            DeadlineSafetyMargin = TimeSpan.Zero,
        };
        var observer = new QueuedRowsObserver();
        var scheduler = new BatchScheduler(router, batching, _time, observer);
        var clock = Stopwatch.StartNew();
        var passed = false;
        var knobSteps = 0;
        var soakOver = false;
        var drained = false;
        using var knobsStopped = new ManualResetEventSlim();

        // The allocator: every millisecond of the injected clock it turns all four knobs. The clock
        // is paced by the answers: a millisecond per call answered since the last look (at most 16
        // at a time), and one per real millisecond when none comes. After the soak it only moves
        // the clock, so nothing waits on it for ever.
        var knobs = new Thread(() =>
        {
            var random = new Random(7);
            var seen = 0;
            while (!Volatile.Read(ref drained))
            {
                var answered = Volatile.Read(ref _answered);
                for (var ms = Math.Clamp(answered - seen, 1, 16); ms > 0; ms--)
                {
                    if (!Volatile.Read(ref soakOver))
                    {
                        scheduler.TargetBatchRows = random.Next(1, 257);
                        scheduler.MaxQueueDelay = TimeSpan.FromMilliseconds(random.Next(0, 5));
                        cpu.SetActiveReplicas(random.Next(1, 4));
                        gpu.SetActiveReplicas(random.Next(1, 3));
                        knobSteps++;
                    }
                    else
                    {
                        knobsStopped.Set();
                    }

                    _time.Advance(TimeSpan.FromMilliseconds(1));
                }

                seen = answered;
                SpinWait.SpinUntil(() => Volatile.Read(ref _answered) != seen || Volatile.Read(ref drained), TimeSpan.FromMilliseconds(1));
            }
        })
        { IsBackground = true, Name = "soak-knobs" };

        try
        {
            knobs.Start();
            var submitters = Enumerable.Range(0, Submitters)
                .Select(i => new Thread(() => Submit(scheduler, seed: 100 + i, clock)) { IsBackground = true, Name = $"soak-submit-{i}" })
                .ToList();
            submitters.ForEach(t => t.Start());
            foreach (var thread in submitters)
            {
                Assert.True(thread.Join(MaxDuration + (2 * Bound)), $"{thread.Name} ended");
            }

            // The soak is over: the allocator stops turning knobs; every replica is let work.
            Volatile.Write(ref soakOver, true);
            Assert.True(knobsStopped.Wait(Bound));
            cpu.SetActiveReplicas(cpu.LoadedReplicas);
            gpu.SetActiveReplicas(gpu.LoadedReplicas);

            // Every request ended, its rows are back, the queue is empty and the pools are idle.
            Assert.True(SpinWait.SpinUntil(() => _rented.All(r => r.Returned), Bound), $"{_rented.Count(r => !r.Returned)} requests' rows never went back to the pool");
            Assert.True(SpinWait.SpinUntil(() => Idle(cpu) && Idle(gpu), Bound), $"pools not idle: cpu {Describe(cpu)}, gpu {Describe(gpu)}");
            Volatile.Write(ref drained, true);
            Assert.True(knobs.Join(Bound));

            output.WriteLine($"{_submitted} requests in {clock.Elapsed.TotalSeconds:0.0} s, {knobSteps} knob steps, clock {(_time.GetUtcNow() - _time.Start).TotalMilliseconds:0} ms");
            output.WriteLine("outcomes: " + string.Join(", ", _outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));
            output.WriteLine($"runs: cpu {cpuReplicas.Sum(r => r.Runs)} ({cpuReplicas.Sum(r => r.Failures)} failed), gpu {gpuReplicas.Sum(r => r.Runs)} ({gpuReplicas.Sum(r => r.Failures)} failed); circuit {router.Circuit}");

            Assert.True(_violations.IsEmpty, $"{_violations.Count} violations; the first: {string.Join("\n", _violations.Take(10))}");
            Assert.Equal(_submitted, _outcomes.Values.Sum());
            Assert.Equal(0, scheduler.QueuedRows);
            Assert.Equal(0, observer.LastQueuedRows); // what serving_queued_rows shows
            Assert.Equal((3, 2), (cpu.Replicas, gpu.Replicas));

            // The soak went through every path it is meant to.
            Assert.True(_submitted >= 1000, $"only {_submitted} requests were submitted");
            foreach (var outcome in new[] { "ok", "cancelled", "deadline_exceeded", "batch_failed" })
            {
                Assert.True(_outcomes.GetValueOrDefault(outcome) > 0, $"no request ended {outcome}");
            }

            Assert.True(_outcomes.Keys.Any(k => k.StartsWith("refused:", StringComparison.Ordinal)), "no request was refused");
            Assert.True(gpuReplicas.Sum(r => r.Runs) > 0 && cpuReplicas.Sum(r => r.Failures) > 0, "both pools ran batches and CPU sessions failed");

            // No slot was lost to the flipping: every loaded replica of each pool can run at once.
            await AssertEveryReplicaRunsAtOnce(cpu, cpuReplicas);
            await AssertEveryReplicaRunsAtOnce(gpu, gpuReplicas);
            passed = true;
        }
        finally
        {
            Volatile.Write(ref drained, true);
            knobs.Join(Bound);
            cpuReplicas.Concat(gpuReplicas).ToList().ForEach(r => r.Release());
            await Stop(scheduler, passed);
        }
    }

    /// <summary>
    /// Stops the batcher and its pools, moving the clock past their stop timeouts if a run is still
    /// going; after a failed soak a stop that does not end is reported, not thrown over the failure.
    /// </summary>
    private async Task Stop(BatchScheduler scheduler, bool passed)
    {
        var stopping = scheduler.DisposeAsync().AsTask();
        for (var step = 0; step < 200 && !stopping.IsCompleted; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(stopping, Task.Delay(10));
        }

        if (passed)
        {
            await stopping.WaitAsync(Bound);
        }
        else if (!stopping.IsCompleted)
        {
            output.WriteLine("the batcher did not stop after the failure");
        }
    }

    /// <summary>One submitter: mixed sizes (multi-slice ones too), 20% best effort, deadlines 2–300 ms, 15% cancelled later.</summary>
    private void Submit(BatchScheduler scheduler, int seed, Stopwatch clock)
    {
        var random = new Random(seed);
        var outstanding = new List<Pending>();
        while (clock.Elapsed < MaxDuration)
        {
            var sequence = Interlocked.Increment(ref _submitted);
            if (sequence > MaxRequests)
            {
                Interlocked.Decrement(ref _submitted);
                break;
            }

            var roll = random.NextDouble();
            var size = roll < 0.7 ? random.Next(1, 33) : roll < 0.95 ? random.Next(33, 301) : random.Next(301, 1025);
            var first = sequence % 16_000 * 1024; // exact in a float: < 2^24
            var rows = FeatureRows.Rent(_spec.Inputs, size);
            for (var r = 0; r < size; r++)
            {
                rows.Float32(0)[r * 2] = first + r;
            }

            _rented.Add(rows);
            var cancel = new CancellationTokenSource();
            var priority = random.NextDouble() < 0.2 ? Priority.BestEffort : Priority.Normal;
            var deadline = _time.GetUtcNow().AddMilliseconds(random.Next(2, 301));
            outstanding.Add(new Pending(scheduler.ScoreAsync(rows, deadline, priority, cancel.Token), first, size, cancel));

            if (random.NextDouble() < 0.15)
            {
                outstanding[random.Next(outstanding.Count)].Cancel.Cancel();
            }

            while (outstanding.Count >= OutstandingPerSubmitter || (clock.Elapsed >= MaxDuration && outstanding.Count > 0))
            {
                if (!Settle(outstanding))
                {
                    return;
                }
            }
        }

        while (outstanding.Count > 0 && Settle(outstanding))
        {
        }
    }

    /// <summary>Waits (bounded) for one of the calls to end and checks how it ended; false when none ended in time.</summary>
    private bool Settle(List<Pending> outstanding)
    {
        var index = Task.WaitAny([.. outstanding.Select(p => (Task)p.Task)], Bound);
        if (index < 0)
        {
            _violations.Add($"{outstanding.Count} calls not answered within {Bound}");
            return false;
        }

        var pending = outstanding[index];
        outstanding.RemoveAt(index);
        Check(pending);
        pending.Cancel.Dispose();
        Interlocked.Increment(ref _answered);
        return true;
    }

    private void Check(Pending pending)
    {
        var task = pending.Task;
        if (task.IsCompletedSuccessfully)
        {
            var scores = task.Result.Scores;
            if (scores.Length != pending.Size)
            {
                _violations.Add($"{scores.Length} scores for {pending.Size} rows");
            }

            for (var r = 0; r < scores.Length; r++)
            {
                if (scores[r] != pending.First + r)
                {
                    _violations.Add($"row {r} of a {pending.Size}-row request scored {scores[r]}, expected {pending.First + r} (another request's or row's score)");
                    break;
                }
            }

            Count("ok");
            return;
        }

        var error = task.Exception?.InnerException;
        switch (error)
        {
            case null when task.IsCanceled:
            case OperationCanceledException:
                Count("cancelled");
                if (!pending.Cancel.IsCancellationRequested)
                {
                    _violations.Add($"cancelled although its caller did not cancel: {error}");
                }

                break;
            case DeadlineExceededException:
                Count("deadline_exceeded");
                break;
            case BatchFailedException:
                Count("batch_failed");
                break;
            case ScoringRejectedException refused when refused.Reason is RejectionReasons.QueueFull or RejectionReasons.PredictedMiss or RejectionReasons.BestEffortShed:
                Count("refused:" + refused.Reason);
                break;
            default:
                Count("other");
                _violations.Add($"undocumented outcome: {error}");
                break;
        }
    }

    private void Count(string outcome) => _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    private static bool Idle(DevicePool pool) => pool.QueuedBatches == 0 && pool.FreeReplicas == pool.Replicas;

    private static string Describe(DevicePool pool) => $"{pool.Replicas} active, {pool.FreeReplicas} free, {pool.QueuedBatches} batches queued";

    /// <summary>Holds every replica, gives the pool one batch per loaded replica and waits until all of them run at once.</summary>
    private async Task AssertEveryReplicaRunsAtOnce(DevicePool pool, List<ChaosReplica> replicas)
    {
        Assert.Equal(pool.LoadedReplicas, pool.SetActiveReplicas(pool.LoadedReplicas));
        replicas.ForEach(r => r.Hang());
        var rows = Enumerable.Range(0, replicas.Count).Select(_ => FeatureRows.Rent(_spec.Inputs, 4)).ToList();
        try
        {
            var runs = rows.Select(r => pool.ExecuteAsync(new Batch([new RowSlice(r, 0, 4, new float[4], DateTimeOffset.MaxValue)], _time.GetUtcNow()))).ToList();
            Assert.True(SpinWait.SpinUntil(() => replicas.All(r => r.Running == 1), Bound), $"{pool.Device}: {replicas.Count(r => r.Running == 1)} of {replicas.Count} replicas run at once with all {pool.Replicas} active");
            replicas.ForEach(r => r.Release());
            foreach (var run in runs)
            {
                try
                {
                    await run.WaitAsync(Bound);
                }
                catch (BatchFailedException)
                {
                    // the replica's random failure: the run happened, which is what counts here
                }
            }
        }
        finally
        {
            replicas.ForEach(r => r.Release());
            rows.ForEach(r => r.Dispose());
        }
    }

    private sealed record Pending(Task<ScoreResult> Task, int First, int Size, CancellationTokenSource Cancel);

    private sealed class QueuedRowsObserver : IBatchObserver
    {
        private int _last = -1;

        public int LastQueuedRows => Volatile.Read(ref _last);

        public void Rejected(string reason)
        {
        }

        public void DeadlineExceeded()
        {
        }

        public void QueuedRows(int rows) => Volatile.Write(ref _last, rows);

        public void SliceQueued(string device, TimeSpan queued)
        {
        }
    }
}
