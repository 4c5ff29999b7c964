using Serving.Allocation;
using Serving.Batching;

namespace Serving.Tests.Allocation;

/// <summary>The controller's decisions against simulated latency curves, one control interval at a time on a fake clock.</summary>
public class AllocatorPolicyTests
{
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(8);
    private static readonly TimeSpan LowWater = TimeSpan.FromMilliseconds(6);

    [Theory]
    [InlineData(16)]
    [InlineData(1024)]
    public void Converges_to_the_best_batch_size_for_a_latency_curve_within_a_bounded_number_of_intervals(int start)
    {
        // p99 grows with the batch (a row waits for a batch in progress, then its own): 1 ms + 20 µs per row.
        var sim = new SimulatedServer(new AllocatorOptions())
        {
            TargetBatchRows = start,
            PerRowCost = TimeSpan.FromMicroseconds(5),
            FixedCost = TimeSpan.FromMilliseconds(0.2),
            Curve = s => (TimeSpan.FromMilliseconds(1) + (TimeSpan.FromMicroseconds(20) * s.TargetBatchRows), 0.5),
        };

        // The controller's operating point is the hysteresis band: batch sizes whose p99 lies between
        // the low-water mark (6 ms) and the target (8 ms), here 250-350 rows. Coming from below it
        // stops within a step of the band's bottom; from above, inside it.
        var bandLow = Enumerable.Range(1, 1024).First(rows => sim.P99At(rows) >= LowWater);
        var bandHigh = Enumerable.Range(1, 1024).Last(rows => sim.P99At(rows) <= Target);
        var trace = new List<int>();
        var converged = -1;
        for (var interval = 1; interval <= 60; interval++)
        {
            sim.Step();
            trace.Add(sim.TargetBatchRows);
            if (converged < 0 && sim.TargetBatchRows >= bandLow - sim.Options.BatchRowsStep && sim.TargetBatchRows <= bandHigh)
            {
                converged = interval;
            }
        }

        Assert.True(converged is >= 1 and <= 20, $"converged at interval {converged}: {string.Join(" ", trace)}");
        Assert.InRange(sim.TargetBatchRows, bandLow - sim.Options.BatchRowsStep, bandHigh);
        Assert.True(sim.P99At(sim.TargetBatchRows) <= Target, $"p99 at the final {sim.TargetBatchRows} rows: {sim.P99At(sim.TargetBatchRows).TotalMilliseconds} ms");
        Assert.All(sim.Plans.TakeLast(20), plan => Assert.Empty(plan.Decisions));
    }

    [Fact]
    public void Under_overload_with_small_batches_grows_the_batch_for_capacity_instead_of_shrinking_it()
    {
        // 60k rows/s: 16-row batches cannot keep up (p99 five times the SLO, every replica busy).
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 60_000, TargetBatchRows = 16 };

        var first = sim.Step();

        var rows = Assert.Single(first.Decisions, d => d.Knob == Knobs.TargetBatchRows);
        Assert.Equal(AllocatorDecision.Up, rows.Direction);
        Assert.Contains("overloaded", rows.Reason, StringComparison.Ordinal);
        sim.Run(30);
        Assert.True(sim.P99At(sim.TargetBatchRows) <= Target, $"p99 {sim.P99At(sim.TargetBatchRows).TotalMilliseconds} ms at {sim.TargetBatchRows} rows");
    }

    [Fact]
    public void Backs_off_within_one_interval_when_p99_exceeds_the_slo()
    {
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 20_000, TargetBatchRows = 128 };
        sim.Run(40);
        var rowsBefore = sim.TargetBatchRows;
        var delayBefore = sim.MaxQueueDelay;

        // The device slows down (another tenant, thermal throttling): every batch takes 3x as long,
        // and the cost model has learned it.
        sim.FixedCost *= 3;
        sim.PerRowCost *= 3;
        var plan = sim.Step();

        // At once: the cost model says the batch no longer fits the budget, and p99 is over the SLO.
        var rows = Assert.Single(plan.Decisions, d => d.Knob == Knobs.TargetBatchRows);
        Assert.Equal(AllocatorDecision.Down, rows.Direction);
        Assert.True(sim.TargetBatchRows <= rowsBefore * sim.Options.ViolationDecreaseFactor, $"{rowsBefore} -> {sim.TargetBatchRows}");
        Assert.True(sim.MaxQueueDelay <= delayBefore);
        Assert.NotNull(rows.Inputs.P99Ms);
        Assert.True(rows.Inputs.P99Ms > rows.Inputs.SloMs);
    }

    [Fact]
    public void Backs_off_when_too_many_requests_are_refused_or_late_even_if_the_answered_ones_were_fast()
    {
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 5_000, TargetBatchRows = 256 };
        sim.Curve = s => (TimeSpan.FromMilliseconds(3), 0.3);
        var measured = sim.Measure()!;
        sim.Time.Advance(sim.Options.Interval);

        var plan = sim.Policy.Decide(new ModelObservation
        {
            Model = SimulatedServer.Model,
            Now = sim.Time.GetUtcNow(),
            Slo = sim.Slo,
            MaxBatchRows = 1024,
            TargetBatchRows = 256,
            MaxQueueDelay = TimeSpan.FromMilliseconds(1),
            Devices = [new DeviceReplicas("cpu", 2, 2)],
            PredictCompute = sim.Cost,
            Measurement = measured with { MissRate = measured.RequestRate * 0.05 },
        });

        var rows = Assert.Single(plan.Decisions, d => d.Knob == Knobs.TargetBatchRows);
        Assert.Equal(AllocatorDecision.Down, rows.Direction);
        Assert.Contains("refused or late", rows.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Refusals_while_batches_are_cheap_hold_batch_rows_and_delay()
    {
        // 5% refused (a burst as load began) while the answered requests' p99 is 3 ms and a batch of
        // 256 rows computes in 0.35 ms: waiting 1 ms plus two batches is 1.7 ms, well under half the
        // 8 ms target. The misses are load, not batch time: smaller batches or shorter waits would
        // only lower capacity, so both hold.
        var plan = new AllocatorPolicy(new AllocatorOptions()).Decide(WithCheapBatches(
            new LatencySnapshot(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(3), TimeSpan.FromMilliseconds(1), 2000, 2000, 20_000, MissRate: 100, BusyReplicaSeconds: 0.2, FleetWide: false),
            TimeSpan.FromMilliseconds(1)));

        Assert.DoesNotContain(plan.Decisions, d => d.Knob is Knobs.TargetBatchRows or Knobs.MaxQueueDelay);
        Assert.Equal(256, plan.TargetBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(1), plan.MaxQueueDelay);
    }

    [Fact]
    public void Far_below_the_target_the_delay_grows_alongside_the_batch_size()
    {
        // p99 2 ms, under half the 8 ms target, with the batch far from its ceiling (350 rows): both
        // levers grow from the first step, the delay by a quarter, instead of the delay waiting
        // half a minute for the batch size to reach its limit.
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 2_000, TargetBatchRows = 64, MaxQueueDelay = TimeSpan.FromMilliseconds(2) };
        sim.Curve = s => (TimeSpan.FromMilliseconds(2), 0.1);

        var first = sim.Step().Decisions;

        Assert.Contains(first, d => d.Knob == Knobs.TargetBatchRows && d.Direction == AllocatorDecision.Up);
        var delay = Assert.Single(first, d => d.Knob == Knobs.MaxQueueDelay);
        Assert.Equal(AllocatorDecision.Up, delay.Direction);
        Assert.Contains("under half the target", delay.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMilliseconds(2.5), sim.MaxQueueDelay);
    }

    [Theory]
    [InlineData(BatchingMode.Adaptive, false)]
    [InlineData(BatchingMode.Static, true)]
    public void Overloaded_the_delay_holds_in_adaptive_mode_and_shortens_in_static(BatchingMode mode, bool shortens)
    {
        // p99 over the SLO with the pod's one core 95% busy: in adaptive mode a shorter wait would only
        // start batches beside busy ones on the same CPU; in static mode the wait itself is in every p99.
        var plan = new AllocatorPolicy(new AllocatorOptions()).Decide(WithCheapBatches(
            new LatencySnapshot(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(15), TimeSpan.FromMilliseconds(4), 4000, 4000, 40_000, MissRate: 0, BusyReplicaSeconds: 0.4, FleetWide: false),
            TimeSpan.FromMilliseconds(2),
            mode,
            new PodLoad(TimeSpan.FromSeconds(1), CpuSecondsPerSecond: 0.95, RowRate: 40_000, Count: 4000, Cores: 1)));

        Assert.Equal(shortens, plan.Decisions.Any(d => d.Knob == Knobs.MaxQueueDelay && d.Direction == AllocatorDecision.Down));
        Assert.Equal(shortens, plan.MaxQueueDelay < TimeSpan.FromMilliseconds(2));
    }

    [Fact]
    public void Holds_steady_under_steady_load_with_noisy_measurements()
    {
        var sim = new SimulatedServer(new AllocatorOptions(), seed: 7) { OfferedRows = 30_000, TargetBatchRows = 64, Noise = 0.05 };
        sim.Run(60);

        // Ten more minutes at the same load: longer than every cooldown and ceiling memory.
        var decisions = sim.Run(300);

        Assert.Empty(decisions);
        Assert.True(sim.P99At(sim.TargetBatchRows) <= Target);
    }

    [Fact]
    public void Does_not_shrink_batches_when_batch_compute_cannot_explain_the_excess()
    {
        // p99 at 30 ms against a 10 ms SLO while a 256-row batch computes in 1 ms and the replicas
        // are 10% busy: the time goes elsewhere (CPU queueing, the request path). Halving the batch
        // would win back about 0.6 ms of a 22 ms excess, and cost throughput.
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 10_000, TargetBatchRows = 256, PerRowCost = TimeSpan.FromMicroseconds(2) };
        sim.Curve = s => (TimeSpan.FromMilliseconds(30), 0.2);

        var decisions = sim.Run(10);

        Assert.DoesNotContain(decisions, d => d.Knob == Knobs.TargetBatchRows);
        Assert.Contains(decisions, d => d.Knob == Knobs.MaxQueueDelay && d.Direction == AllocatorDecision.Down);
        Assert.Equal(256, sim.TargetBatchRows);
    }

    [Fact]
    public void Does_not_act_on_a_window_with_too_few_requests()
    {
        var sim = new SimulatedServer(new AllocatorOptions { MinSamples = 1000 }) { OfferedRows = 2_000, TargetBatchRows = 64 };
        sim.Curve = s => (TimeSpan.FromMilliseconds(30), 0.1);

        var decisions = sim.Run(5);

        Assert.DoesNotContain(decisions, d => d.Knob is Knobs.TargetBatchRows or Knobs.MaxQueueDelay);
    }

    [Fact]
    public void Holds_every_unpinned_knob_while_the_latency_source_is_down()
    {
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 60_000, TargetBatchRows = 16, SourceDown = true };

        var decisions = sim.Run(30);

        Assert.Empty(decisions);
        Assert.Equal(16, sim.TargetBatchRows);
        Assert.True(double.IsNaN(sim.Plans[^1].DesiredReplicas));
    }

    [Fact]
    public void Keeps_every_knob_within_its_bounds()
    {
        var options = new AllocatorOptions
        {
            MinBatchRows = 24,
            MaxBatchRows = 200,
            MinQueueDelay = TimeSpan.FromMilliseconds(0.2),
            MaxQueueDelay = TimeSpan.FromMilliseconds(1.5),
            MinReplicas = 2,
            MaxReplicas = 3,
        };

        // Light load and a cheap model: everything wants to grow.
        var light = new SimulatedServer(options) { OfferedRows = 5_000, TargetBatchRows = 64, PerRowCost = TimeSpan.FromMicroseconds(1) };
        light.Replicas["cpu"] = (2, 4);
        light.Run(200);
        Assert.Equal(200, light.TargetBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), light.MaxQueueDelay);
        Assert.Equal(2, light.Replicas["cpu"].Active);

        // A slow device where even the smallest batch misses: batch rows and delay want to shrink.
        var slow = new SimulatedServer(options)
        {
            OfferedRows = 20_000,
            TargetBatchRows = 64,
            MaxQueueDelay = TimeSpan.FromMilliseconds(1),
            FixedCost = TimeSpan.FromMilliseconds(0.05),
            PerRowCost = TimeSpan.FromMicroseconds(200),
        };
        slow.Curve = s => ((2 * s.Cost(s.TargetBatchRows)) + TimeSpan.FromMilliseconds(5), 0.3 * s.ActiveReplicas);
        slow.Run(200);
        Assert.Equal(24, slow.TargetBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(0.2), slow.MaxQueueDelay);

        // Saturated: replicas want to grow.
        var heavy = new SimulatedServer(options) { OfferedRows = 20_000, TargetBatchRows = 64 };
        heavy.Replicas["cpu"] = (2, 4);
        heavy.Curve = s => (TimeSpan.FromMilliseconds(40), 0.95 * s.ActiveReplicas);
        heavy.Run(200);
        Assert.Equal(3, heavy.Replicas["cpu"].Active);
        Assert.InRange(heavy.TargetBatchRows, 24, 200);

        // Settings that start outside the bounds are brought inside at once.
        var outside = new SimulatedServer(options) { TargetBatchRows = 512, MaxQueueDelay = TimeSpan.FromMilliseconds(5) };
        outside.Replicas["cpu"] = (1, 4);
        var plan = outside.Step();
        Assert.Equal(200, outside.TargetBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), outside.MaxQueueDelay);
        Assert.Equal(2, outside.Replicas["cpu"].Active);
        Assert.All(plan.Decisions, d => Assert.Contains("outside the bounds", d.Reason, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(BatchingMode.Adaptive, 1)]
    [InlineData(BatchingMode.Static, 2)]
    public void Keeps_the_batch_within_what_the_cost_model_says_fits_the_target(BatchingMode mode, int batchesInTheDelayBudget)
    {
        // 2 x compute(B) must fit the 8 ms target: with 0.5 ms + 10 µs/row, B <= 350. The delay gets
        // what is left after the row's own batch (adaptive: the batcher never holds rows behind a
        // busy replica past their deadline) or after a batch in progress and its own (static).
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 100, TargetBatchRows = 900, Mode = mode };

        var plan = sim.Step();

        Assert.Equal(350, plan.BatchRowsCeiling);
        Assert.Equal(350, sim.TargetBatchRows);
        Assert.Contains(plan.Decisions, d => d.Knob == Knobs.TargetBatchRows && d.Reason.StartsWith("cost model", StringComparison.Ordinal));
        sim.Run(100);
        Assert.All(sim.Plans, p => Assert.True(p.TargetBatchRows <= 350));
        Assert.True(sim.MaxQueueDelay + (batchesInTheDelayBudget * sim.Cost(sim.TargetBatchRows)) <= Target + TimeSpan.FromMilliseconds(0.1));
    }

    [Fact]
    public void A_pinned_knob_is_set_once_and_never_moved()
    {
        var options = new AllocatorOptions();
        options.Models[SimulatedServer.Model] = new ModelAllocatorOptions
        {
            TargetBatchRows = 100,
            MaxQueueDelay = TimeSpan.FromMilliseconds(3),
            Replicas = { ["cpu"] = 1 },
        };
        var sim = new SimulatedServer(options) { OfferedRows = 60_000, TargetBatchRows = 16 };

        var first = sim.Step();
        Assert.Equal(3, first.Decisions.Count);
        Assert.All(first.Decisions, d => Assert.StartsWith("pinned by Serving:Allocator:Models:sim:", d.Reason, StringComparison.Ordinal));

        // Overloaded and far above the SLO for minutes: nothing pinned moves.
        var later = sim.Run(100);
        Assert.Empty(later);
        Assert.Equal(100, sim.TargetBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(3), sim.MaxQueueDelay);
        Assert.Equal(1, sim.Replicas["cpu"].Active);
    }

    [Fact]
    public void Pinning_one_knob_leaves_the_others_controlled()
    {
        var options = new AllocatorOptions();
        options.Models[SimulatedServer.Model] = new ModelAllocatorOptions { TargetBatchRows = 64 };
        var sim = new SimulatedServer(options) { OfferedRows = 2_000, TargetBatchRows = 64, MaxQueueDelay = TimeSpan.FromMilliseconds(0.5) };

        var decisions = sim.Run(40);

        Assert.Equal(64, sim.TargetBatchRows);
        Assert.Contains(decisions, d => d.Knob == Knobs.MaxQueueDelay && d.Direction == AllocatorDecision.Up);
    }

    [Fact]
    public void A_model_opted_out_keeps_its_settings_but_still_gets_fleet_signals()
    {
        var options = new AllocatorOptions();
        options.Models[SimulatedServer.Model] = new ModelAllocatorOptions { Enabled = false };
        var sim = new SimulatedServer(options) { OfferedRows = 60_000, TargetBatchRows = 16 };

        var decisions = sim.Run(20);

        Assert.Empty(decisions);
        Assert.Equal(16, sim.TargetBatchRows);
        Assert.True(sim.Plans[^1].DesiredReplicas > 1);
        Assert.True(sim.Plans[^1].HeadroomRatio < 0);
    }

    [Fact]
    public void Batch_rows_and_delay_hold_in_mode_none()
    {
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 2_000, TargetBatchRows = 64, Mode = BatchingMode.None };

        var decisions = sim.Run(30);

        Assert.DoesNotContain(decisions, d => d.Knob is Knobs.TargetBatchRows or Knobs.MaxQueueDelay);
    }

    [Fact]
    public void Replicas_follow_throughput_up_and_are_removed_only_after_staying_idle()
    {
        var options = new AllocatorOptions();
        var sim = new SimulatedServer(options) { OfferedRows = 4_000, TargetBatchRows = 128 };
        sim.Replicas["cpu"] = (1, 4);
        sim.Curve = s => (TimeSpan.FromMilliseconds(4), s.OfferedRows / 10_000); // one replica-second per 10k rows

        // 4k rows/s: 0.4 replicas busy out of 1 active. Nothing to add, nothing to remove.
        Assert.DoesNotContain(sim.Run(20), d => d.Knob == Knobs.Replicas("cpu"));

        // Throughput rises to 25k rows/s: 2.5 replicas' worth. Replicas are added one at a time, each after the cooldown.
        sim.OfferedRows = 25_000;
        var up = sim.Run(40).Where(d => d.Knob == Knobs.Replicas("cpu")).ToList();
        Assert.All(up, d => Assert.Equal(AllocatorDecision.Up, d.Direction));
        Assert.Equal(4, sim.Replicas["cpu"].Active);
        for (var i = 1; i < up.Count; i++)
        {
            Assert.True(up[i].At - up[i - 1].At >= options.ReplicaCooldown);
        }

        // Load falls to 2k rows/s: idle. Nothing is removed before the idle hold, then one at a time.
        sim.OfferedRows = 2_000;
        var idleStart = sim.Time.GetUtcNow();
        var down = sim.Run(100).Where(d => d.Knob == Knobs.Replicas("cpu")).ToList();
        Assert.NotEmpty(down);
        Assert.All(down, d => Assert.Equal(AllocatorDecision.Down, d.Direction));
        Assert.True(down[0].At - idleStart >= options.ReplicaIdleHold);
        Assert.Equal(1, sim.Replicas["cpu"].Active);

        // And at steady load they stay put.
        Assert.DoesNotContain(sim.Run(100), d => d.Knob == Knobs.Replicas("cpu"));
    }

    [Fact]
    public void Replicas_whose_compute_is_light_stay_while_the_pod_cpu_is_busy()
    {
        // Two replicas, 10% busy computing, on a pod whose one core is 60% busy with the rest of the
        // request path: not idle. Once the CPU is quiet too, one goes after the idle hold.
        var options = new AllocatorOptions();
        var sim = new SimulatedServer(options) { OfferedRows = 2_000, TargetBatchRows = 128, PodCpu = 0.6 };
        sim.Curve = s => (TimeSpan.FromMilliseconds(3), 0.2);

        Assert.DoesNotContain(sim.Run(100), d => d.Knob == Knobs.Replicas("cpu"));
        Assert.Equal(2, sim.Replicas["cpu"].Active);

        sim.PodCpu = 0.1;
        var quietFrom = sim.Time.GetUtcNow();
        var down = Assert.Single(sim.Run(100), d => d.Knob == Knobs.Replicas("cpu"));
        Assert.Equal(AllocatorDecision.Down, down.Direction);
        Assert.True(down.At - quietFrom >= options.ReplicaIdleHold);
        Assert.Contains("the CPU is 10%", down.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_added_replica_that_raises_neither_throughput_nor_p99_is_removed_and_not_retried_at_that_load()
    {
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 10_000, TargetBatchRows = 128 };
        sim.Replicas["cpu"] = (1, 2);

        // Two replicas on one core: the second adds contention, not throughput.
        sim.Curve = s => (TimeSpan.FromMilliseconds(s.ActiveReplicas == 1 ? 7 : 9.5), s.ActiveReplicas * 0.9);

        var decisions = sim.Run(60).Where(d => d.Knob == Knobs.Replicas("cpu")).ToList();

        Assert.Equal(2, decisions.Count);
        Assert.Equal(AllocatorDecision.Up, decisions[0].Direction);
        Assert.Equal(AllocatorDecision.Down, decisions[1].Direction);
        Assert.Contains("raised neither throughput", decisions[1].Reason, StringComparison.Ordinal);
        Assert.Equal(1, sim.Replicas["cpu"].Active);
    }

    [Fact]
    public void Replicas_grow_on_the_first_device_and_shrink_on_the_last()
    {
        var sim = new SimulatedServer(new AllocatorOptions()) { OfferedRows = 4_000, TargetBatchRows = 128 };
        sim.Replicas.Clear();
        sim.Replicas["gpu"] = (1, 2);
        sim.Replicas["cpu"] = (2, 2);
        sim.Curve = s => (TimeSpan.FromMilliseconds(4), s.OfferedRows / 10_000);

        sim.OfferedRows = 27_000; // 2.7 of 3 active: 90% busy
        var up = sim.Run(6).First(d => d.Knob.StartsWith("replicas_", StringComparison.Ordinal));
        Assert.Equal(Knobs.Replicas("gpu"), up.Knob);

        sim.OfferedRows = 500;
        var down = sim.Run(60).First(d => d.Knob.StartsWith("replicas_", StringComparison.Ordinal));
        Assert.Equal(Knobs.Replicas("cpu"), down.Knob);
    }

    [Fact]
    public void Desired_replicas_is_the_fleet_row_rate_over_what_one_pod_answers_at_the_target_utilisation()
    {
        var options = new AllocatorOptions { FleetPods = 3, TargetUtilization = 0.5 };
        var policy = new AllocatorPolicy(options);
        var window = TimeSpan.FromSeconds(2);

        // This pod: 6,000 rows/s for 0.6 s of CPU per second on 2 cores (100 µs per row, everything
        // included), and 0.3 replica-seconds of compute per second on 2 replicas.
        var pod = new PodLoad(window, CpuSecondsPerSecond: 0.6, RowRate: 6000, Count: 100, Cores: 2);
        var local = new LatencySnapshot(window, TimeSpan.FromMilliseconds(4), TimeSpan.FromMilliseconds(2), 100, 50, 6000, 0, 0.3, FleetWide: false);
        // One pod answers 2 cores x 50% / 100 µs = 10,000 rows/s (its replicas alone would allow
        // 2 x 50% x 6,000 / 0.3 = 20,000): the CPU bound is the lower. Three pods like this one
        // offer 18,000 rows/s: 1.8 pods' worth.
        var inProcess = policy.Decide(Observe(local, p: pod));
        Assert.Equal(10_000, inProcess.PodCapacityRows!.Value, 6);
        Assert.Equal(1.8, inProcess.DesiredReplicas, 6);
        Assert.Equal(1 - (4.0 / 10), inProcess.HeadroomRatio, 6);

        // Prometheus already sums the fleet (and its p99 is the fleet's); the capacity is still this pod's.
        var fleet = new LatencySnapshot(TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(12), TimeSpan.FromMilliseconds(2), 1500, 150, 18_000, 0, 0.9, FleetWide: true);
        var fromPrometheus = policy.Decide(Observe(fleet, local, pod));
        Assert.Equal(1.8, fromPrometheus.DesiredReplicas, 6);
        Assert.Equal(-0.2, fromPrometheus.HeadroomRatio, 6);
        Assert.Equal(0.15, fromPrometheus.BusyRatio, 6); // this pod's replicas, not the fleet's

        // Refused requests are load too: a tenth refused asks for a tenth more.
        var shedding = policy.Decide(Observe(fleet with { RequestRate = 135, MissRate = 15 }, local, pod));
        Assert.Equal(1.8 * (150.0 / 135), shedding.DesiredReplicas, 6);

        // No traffic: nothing needed, all the headroom.
        var idle = policy.Decide(Observe(LatencySnapshot.Empty(window, fleetWide: false)));
        Assert.Equal(0, idle.DesiredReplicas);
        Assert.Equal(1, idle.HeadroomRatio);
    }

    [Fact]
    public void The_pod_capacity_estimate_is_smoothed_across_windows()
    {
        var policy = new AllocatorPolicy(new AllocatorOptions { TargetUtilization = 0.5 });
        var window = TimeSpan.FromSeconds(2);
        var local = new LatencySnapshot(window, TimeSpan.FromMilliseconds(4), null, 100, 50, 6000, 0, 0.3, FleetWide: false);
        double? Capacity(double cpu) => policy.Decide(Observe(local, p: new PodLoad(window, cpu, 6000, 100, 2))).PodCapacityRows;

        Assert.Equal(10_000, Capacity(0.6)!.Value, 6);
        Assert.Equal((0.7 * 10_000) + (0.3 * 5_000), Capacity(1.2)!.Value, 6);
    }

    [Theory]
    [InlineData(4.0, 0.0, 1.0)] // p99 below the low-water mark (6 ms): latency headroom, the utilisation alone decides
    [InlineData(6.0, 0.0, 1.0)] // at the low-water mark
    [InlineData(7.0, 0.0, 0.85)] // halfway to the target: halfway to CapacityAtTarget (0.7)
    [InlineData(8.0, 0.0, 0.7)] // at the target (8 ms)
    [InlineData(9.5, 0.0, 0.7)] // above the target, within the SLO: no lower than CapacityAtTarget
    [InlineData(4.0, 0.005, 0.85)] // p99 fine, but half the miss allowance (1%) used: halfway
    [InlineData(7.0, 0.0075, 0.775)] // the deeper of the two counts
    public void The_pod_capacity_shrinks_as_this_pods_p99_nears_the_target(double p99Ms, double missRatio, double factor)
    {
        var policy = new AllocatorPolicy(new AllocatorOptions { TargetUtilization = 0.5 });
        var window = TimeSpan.FromSeconds(2);

        // 6,000 rows/s for 0.6 CPU-s/s on 2 cores, 50% busy replicas: the utilisation-derived capacity
        // is 10,000 rows/s (as in the test above); requests answered 50/s, refused or late at missRatio.
        var local = new LatencySnapshot(window, TimeSpan.FromMilliseconds(p99Ms), null, 100, 50, 6000, 50 * missRatio / (1 - missRatio), 0.3, FleetWide: false);
        var plan = policy.Decide(Observe(local, p: new PodLoad(window, 0.6, 6000, 100, 2)));

        Assert.Equal(10_000 * factor, plan.PodCapacityRows!.Value, 6);
        Assert.Equal(0.6 / factor / (1 - missRatio), plan.DesiredReplicas, 6); // the refused requests count as load too
    }

    [Fact]
    public void A_window_past_the_slo_or_overloaded_keeps_the_last_latency_factor()
    {
        var policy = new AllocatorPolicy(new AllocatorOptions { TargetUtilization = 0.5 });
        var window = TimeSpan.FromSeconds(2);
        var pod = new PodLoad(window, 0.6, 6000, 100, 2);
        LatencySnapshot Local(double p99Ms, double missRate = 0) => new(window, TimeSpan.FromMilliseconds(p99Ms), null, 100, 50, 6000, missRate, 0.3, FleetWide: false);

        // p99 7 ms: 0.85 of the 10,000 rows/s.
        Assert.Equal(8_500, policy.Decide(Observe(Local(7), p: pod)).PodCapacityRows!.Value, 6);

        // Past the SLO (12 ms), shedding 10% (the signal already adds the refused load), or the
        // pod's CPU at 95%: none of these says where the pod's latency stands below its SLO
        // capacity, and counting their excess twice would overshoot after a step. The factor holds
        // (the utilisation-derived capacity, unchanged here, is smoothed as before).
        Assert.Equal(8_500, policy.Decide(Observe(Local(12), p: pod)).PodCapacityRows!.Value, 6);
        Assert.Equal(8_500, policy.Decide(Observe(Local(4, missRate: 50.0 / 9), p: pod)).PodCapacityRows!.Value, 6);
        var overloaded = policy.Decide(Observe(Local(4), p: new PodLoad(window, 1.9, 19_000, 100, 2)));
        Assert.Equal(8_500, overloaded.PodCapacityRows!.Value, 6);

        // Back within the low-water mark: the factor returns to 1, through the capacity's smoothing.
        var recovered = policy.Decide(Observe(Local(4), p: pod));
        Assert.Equal((0.7 * 8_500) + (0.3 * 10_000), recovered.PodCapacityRows!.Value, 6);
    }

    [Fact]
    public void At_steady_load_the_latency_aware_capacity_settles_and_stays()
    {
        var policy = new AllocatorPolicy(new AllocatorOptions { TargetUtilization = 0.5 });
        var window = TimeSpan.FromSeconds(2);
        var local = new LatencySnapshot(window, TimeSpan.FromMilliseconds(7), null, 100, 50, 6000, 0, 0.3, FleetWide: false);
        var pod = new PodLoad(window, 0.6, 6000, 100, 2);

        var desired = Enumerable.Range(0, 60).Select(_ => policy.Decide(Observe(local, p: pod)).DesiredReplicas).ToList();

        // The same window every step: the same signal every step (0.6 pods' worth at 0.85 of the capacity).
        Assert.All(desired, d => Assert.Equal(0.6 / 0.85, d, 9));
    }

    [Fact]
    public void Capacity_at_target_1_turns_the_latency_aware_capacity_off()
    {
        var policy = new AllocatorPolicy(new AllocatorOptions { TargetUtilization = 0.5, CapacityAtTarget = 1 });
        var window = TimeSpan.FromSeconds(2);
        var local = new LatencySnapshot(window, TimeSpan.FromMilliseconds(9), null, 100, 50, 6000, 0, 0.3, FleetWide: false);

        Assert.Equal(10_000, policy.Decide(Observe(local, p: new PodLoad(window, 0.6, 6000, 100, 2))).PodCapacityRows!.Value, 6);
    }

    [Fact]
    public void A_cpu_bound_pod_counts_as_overloaded_but_grows_the_batch_only_as_far_as_compute_matters()
    {
        var policy = new AllocatorPolicy(new AllocatorOptions());
        var window = TimeSpan.FromSeconds(2);

        // p99 over the SLO, replicas 10% busy, the CPU 95% busy: compute is a twentieth of the CPU
        // per row, so larger batches would save next to nothing; shrinking them would not help either,
        // nor would shorter waits (adaptive mode): the CPU is the bottleneck, only more pods help.
        var local = new LatencySnapshot(window, TimeSpan.FromMilliseconds(30), null, 200, 100, 10_000, 0, 0.2, FleetWide: false);
        var plan = policy.Decide(Observe(local, p: new PodLoad(window, CpuSecondsPerSecond: 1.9, RowRate: 10_000, Count: 200, Cores: 2), targetBatchRows: 64));

        Assert.DoesNotContain(plan.Decisions, d => d.Knob is Knobs.TargetBatchRows or Knobs.MaxQueueDelay);
        Assert.True(plan.DesiredReplicas > 1, $"desired {plan.DesiredReplicas}");
    }

    /// <summary>One step's observation of model "m" with 256-row batches that cost 0.1 ms + 1 µs per row (0.36 ms): 10 ms SLO, 2 CPU replicas.</summary>
    private static ModelObservation WithCheapBatches(LatencySnapshot m, TimeSpan maxQueueDelay, BatchingMode mode = BatchingMode.Adaptive, PodLoad? pod = null) => new()
    {
        Model = "m",
        Now = DateTimeOffset.UnixEpoch,
        Slo = TimeSpan.FromMilliseconds(10),
        Mode = mode,
        MaxBatchRows = 1024,
        TargetBatchRows = 256,
        MaxQueueDelay = maxQueueDelay,
        Devices = [new DeviceReplicas("cpu", 2, 2)],
        PredictCompute = rows => TimeSpan.FromMilliseconds(0.1 + (0.001 * rows)),
        Measurement = m,
        Pod = pod,
    };

    /// <summary>One step's observation of model "m": 10 ms SLO, 2 CPU replicas, compute 0.5 ms + 10 µs per row.</summary>
    private static ModelObservation Observe(LatencySnapshot m, LatencySnapshot? l = null, PodLoad? p = null, int targetBatchRows = 256) => new()
    {
        Model = "m",
        Now = DateTimeOffset.UnixEpoch,
        Slo = TimeSpan.FromMilliseconds(10),
        MaxBatchRows = 1024,
        TargetBatchRows = targetBatchRows,
        MaxQueueDelay = TimeSpan.FromMilliseconds(1),
        Devices = [new DeviceReplicas("cpu", 2, 2)],
        PredictCompute = rows => TimeSpan.FromMilliseconds(0.5 + (0.01 * rows)),
        Measurement = m,
        Local = l,
        Pod = p,
    };
}
