using Serving.Allocation;
using Serving.Fleet.Fleet;
using Serving.Fleet.Pods;
using Serving.Fleet.Scenarios;
using Serving.Fleet.Simulation;
using Serving.Fleet.Traces;

namespace Serving.Fleet.Tests.Pods;

public class PodSimulatorTests
{
    private static readonly SimModel Criteo = new("criteo-deepfm", TimeSpan.FromMilliseconds(10), CandidateDistribution.LoadGeneratorDefault);

    private static PodSimulator Pod(SimClock clock, int seed = 1) => new(PodProfiles.Cpu(), [Criteo], clock, Seeds.For(seed, "pod"));

    [Fact]
    public void Batches_are_formed_by_the_real_batch_queue_and_follow_its_target_rows()
    {
        var small = Pod(new SimClock(SimClock.Epoch));
        small.Lanes[0].Queue.TargetBatchRows = 16;
        var large = Pod(new SimClock(SimClock.Epoch));
        large.Lanes[0].Queue.TargetBatchRows = 1024;

        var a = small.RunWindow([2_000], 0, 1);
        var b = large.RunWindow([2_000], 0, 1);

        Assert.True(small.BatchesDispatched > 0);
        Assert.True(small.RowsDispatched / (double)small.BatchesDispatched <= 16);
        Assert.True(large.RowsDispatched / (double)large.BatchesDispatched > 100);
        Assert.Equal(0, small.Lanes[0].Queue.QueuedRows); // the window runs until every request has finished
        Assert.True(a.Lanes[0].Answered > 1_500 && b.Lanes[0].Answered > 1_500);
    }

    [Fact]
    public void The_real_cost_model_learns_from_the_simulated_batches()
    {
        var pod = Pod(new SimClock(SimClock.Epoch));
        var seeded = pod.Lanes[0].Cost.Weight;

        pod.RunWindow([1_000], 0, 1);

        Assert.True(pod.Lanes[0].Cost.Weight > seeded);
        Assert.InRange(pod.Lanes[0].Cost.Predict(1024).TotalMilliseconds, 0.5, 1.5); // the curve's 0.89 ms, learned with 5% noise
    }

    [Fact]
    public void Admission_refuses_when_the_queue_cannot_meet_deadlines()
    {
        var pod = Pod(new SimClock(SimClock.Epoch));

        var window = pod.RunWindow([10_000], 0.5, 1); // about 4 pods' worth of load on one

        var lane = window.Lanes[0];
        Assert.True(lane.Refused + lane.Late > lane.Offered / 2);
        Assert.True(lane.Answered > 0);
        Assert.All(lane.LatenciesMs, ms => Assert.True(ms <= 10)); // an answered request is never late
    }

    [Fact]
    public void The_real_allocator_policy_turns_the_pods_knobs()
    {
        var clock = new SimClock(SimClock.Epoch);
        var pod = Pod(clock);
        var allocator = new PodAllocator(new AllocatorOptions());
        var before = pod.Lanes[0].Queue.TargetBatchRows;

        for (var i = 0; i < 10; i++)
        {
            allocator.Step(pod, pod.RunWindow([500], 0, 2), readyPods: 4, clock.Now);
        }

        Assert.Equal(10, allocator.Steps);
        Assert.NotEqual(before, pod.Lanes[0].Queue.TargetBatchRows); // low p99: the policy's slow start grew it
        // serving_desired_replicas for 4 pods × 500 req/s at 70% of what one pod answers: about one pod.
        Assert.InRange(allocator.DesiredPods(), 0.3, 2);
    }

    [Fact]
    public void A_window_over_one_percent_failed_has_an_infinite_p99()
    {
        var counters = new LaneCounters();
        for (var i = 0; i < 199; i++)
        {
            counters.Offer();
            counters.Answer(1, 1);
        }

        counters.Offer();
        counters.Refuse();
        Assert.True(WindowVerdict.WithinSlo(counters, TimeSpan.FromMilliseconds(10))); // 1 of 200 failed: the p99 is an answered one

        counters.Offer();
        counters.Refuse();
        counters.Offer();
        counters.Refuse();
        Assert.True(double.IsPositiveInfinity(WindowVerdict.P99AllMs(counters)));
        Assert.False(WindowVerdict.WithinSlo(counters, TimeSpan.FromMilliseconds(10)));
    }
}
