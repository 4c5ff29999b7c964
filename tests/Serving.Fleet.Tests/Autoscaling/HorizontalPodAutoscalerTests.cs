using Serving.Fleet.Autoscaling;

namespace Serving.Fleet.Tests.Autoscaling;

public class HorizontalPodAutoscalerTests
{
    private static HorizontalPodAutoscaler Hpa(HpaBehavior? behavior = null) => new(behavior ?? HpaBehavior.KubernetesDefault, 1, 100);

    [Theory]
    [InlineData(1.09, 10)]
    [InlineData(0.91, 10)]
    [InlineData(1.11, 12)]
    public void Holds_within_the_tolerance_and_proposes_outside_it(double ratio, int expected)
    {
        var hpa = Hpa();

        Assert.Equal(expected, hpa.Propose(10, ratio, (int)Math.Ceiling(10 * ratio)));
    }

    [Fact]
    public void Scale_down_waits_for_the_highest_recommendation_of_the_last_300_s()
    {
        var hpa = Hpa();
        Assert.Equal(20, hpa.Reconcile(0, 10, 20));

        Assert.Equal(20, hpa.Reconcile(15, 20, 5));
        Assert.Equal(20, hpa.Reconcile(299, 20, 5));
        Assert.Equal(5, hpa.Reconcile(301, 20, 5));
    }

    [Fact]
    public void Scale_up_limit_takes_the_policy_that_allows_most()
    {
        var hpa = Hpa();

        Assert.Equal(6, hpa.Reconcile(0, 2, 50));
        Assert.Equal(6, hpa.Reconcile(10, 6, 50)); // within the same 15 s period: still measured from 2
        Assert.Equal(12, hpa.Reconcile(15, 6, 50));
    }

    [Fact]
    public void Charts_behaviour_removes_one_pod_per_minute()
    {
        var hpa = Hpa(HpaBehavior.Chart);
        hpa.Reconcile(0, 10, 10);

        Assert.Equal(9, hpa.Reconcile(400, 10, 2));
        Assert.Equal(9, hpa.Reconcile(430, 9, 2));
        Assert.Equal(8, hpa.Reconcile(461, 9, 2));
    }

    [Fact]
    public void Charts_behaviour_removes_a_tenth_of_a_large_fleet_per_minute()
    {
        var hpa = Hpa(HpaBehavior.Chart);
        hpa.Reconcile(0, 40, 40);

        // 10% of 40 is more than one pod: 36, then 10% of 36 (rounded towards keeping pods): 33.
        Assert.Equal(36, hpa.Reconcile(400, 40, 10));
        Assert.Equal(36, hpa.Reconcile(430, 36, 10));
        Assert.Equal(33, hpa.Reconcile(461, 36, 10));
    }

    [Fact]
    public void Hpa_on_cpu_syncs_every_15_s_and_counts_starting_pods_as_idle_when_scaling_up()
    {
        var hpa = new HpaCpuAutoscaler(1, 100);
        var busy = Observation(seconds: 0, current: 10, ready: 10, cpu: 0.91);

        Assert.Equal(13, hpa.Decide(busy)); // 10 × 0.91 / 0.7 = 13
        Assert.Equal(13, hpa.Decide(busy with { Seconds = 1, CpuUtilization15s = 1.0 })); // between syncs
        // 13 pods, 10 ready at 100%: the 3 unready count as 0%: 10 × 1.0 / (0.7 × 13) = 1.099, within the tolerance: hold
        Assert.Equal(13, hpa.Decide(Observation(seconds: 15, current: 13, ready: 10, cpu: 1.0)));
        // 12 pods, 10 ready at 100%: 10 × 1.0 / (0.7 × 12) = 1.19 over all pods → ceil(1.19 × 12) = 15
        Assert.Equal(15, hpa.Decide(Observation(seconds: 30, current: 12, ready: 10, cpu: 1.0)));
        // 15 pods, 10 ready at 75%: 10 × 0.75 / (0.7 × 15) = 0.71 over all pods: no scale-up
        Assert.Equal(15, hpa.Decide(Observation(seconds: 45, current: 15, ready: 10, cpu: 0.75)));
    }

    [Fact]
    public void Ray_serve_scales_up_only_after_the_upscale_delay()
    {
        var ray = new RayServeAutoscaler(targetOngoingPerPod: 2, 1, 100, upscaleDelaySeconds: 30, downscaleDelaySeconds: 600);
        var loaded = Observation(seconds: 0, current: 10, ready: 10, cpu: 0) with { OngoingPerPod30s = 4 };

        for (var s = 0; s < 30; s++)
        {
            Assert.Equal(10, ray.Decide(loaded with { Seconds = s }));
        }

        Assert.Equal(20, ray.Decide(loaded with { Seconds = 30 }));
    }

    [Fact]
    public void Keda_on_desired_replicas_runs_the_ceiling_of_the_sum()
    {
        var keda = ExternalMetricAutoscaler.OnDesiredReplicas(1, 100);

        Assert.Equal(8, keda.Decide(Observation(seconds: 0, current: 5, ready: 5, cpu: 0) with { AllocatorDesiredPods = 7.2 }));
    }

    internal static FleetObservation Observation(int seconds, int current, int ready, double cpu) => new()
    {
        Seconds = seconds,
        CurrentPods = current,
        ReadyPods = ready,
        RequestRate30s = 0,
        RequestRateNow = 0,
        CpuUtilization15s = cpu,
        OngoingPerPod30s = 0,
        AllocatorDesiredPods = 0,
    };
}
