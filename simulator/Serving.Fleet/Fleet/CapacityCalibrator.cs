using Serving.Fleet.Pods;
using Serving.Fleet.Simulation;

namespace Serving.Fleet.Fleet;

/// <summary>What one pod of a deployment sustains, found by simulation.</summary>
/// <param name="RequestsPerSecond">The most requests per second (at the deployment's model mix) a pod answers with every 1-s window within the SLO.</param>
/// <param name="OngoingAtTarget">Requests in flight per pod at 70% of that rate (Ray Serve's target).</param>
/// <param name="CpuUtilizationAtCapacity">Share of the pod's cores busy at that rate.</param>
internal sealed record PodCapacity(double RequestsPerSecond, double OngoingAtTarget, double CpuUtilizationAtCapacity);

/// <summary>
/// Finds a pod's capacity by bisection on the offered rate: at each probe a fresh pod (the real
/// batcher, and the real policy stepping every 2 s as in the server) gets <see cref="WarmUpSeconds"/>
/// then <see cref="ProbeWindows"/> measured seconds; the rate passes when every window is within
/// the SLO; the capacity is <see cref="SafetyMargin"/> of the highest rate that passed. The static, oracle, request-rate and Ray Serve baselines are all sized from it.
/// </summary>
internal static class CapacityCalibrator
{
    public const int ProbeWindows = 20;

    public const int WarmUpSeconds = 10;

    /// <summary>The capacity is this share of the highest rate that passed.</summary>
    public const double SafetyMargin = 0.95;

    public static PodCapacity Calibrate(DeploymentSpec deployment, int seed)
    {
        var mix = Mix(deployment);
        var low = 0.0;
        var high = 20_000.0;
        for (var i = 0; i < 14; i++)
        {
            var probe = (low + high) / 2;
            if (Probe(deployment, mix, probe, seed, out _, out _))
            {
                low = probe;
            }
            else
            {
                high = probe;
            }
        }

        // The bisection's edge passed 20 windows once; a fleet runs thousands at that load, and
        // single windows near the edge fail at random (Poisson arrivals, request sizes). The
        // capacity the baselines are sized from keeps a margin below it.
        var capacity = low * SafetyMargin;
        Probe(deployment, mix, capacity, seed, out _, out var cpu);
        Probe(deployment, mix, capacity * 0.7, seed, out var ongoing, out _);
        return new PodCapacity(capacity, ongoing, cpu);
    }

    /// <summary>Each model's share of the deployment's requests, averaged over the first day of its traces (every minute).</summary>
    public static double[] Mix(DeploymentSpec deployment)
    {
        var sums = new double[deployment.Models.Count];
        for (var t = 0; t < 86_400; t += 60)
        {
            for (var i = 0; i < sums.Length; i++)
            {
                sums[i] += deployment.Models[i].Trace.RequestsPerSecond(t);
            }
        }

        var total = sums.Sum();
        return [.. sums.Select(s => total > 0 ? s / total : 1.0 / sums.Length)];
    }

    private static bool Probe(DeploymentSpec deployment, double[] mix, double requestsPerSecond, int seed, out double ongoing, out double cpu)
    {
        var clock = new SimClock(SimClock.Epoch);
        var pod = new PodSimulator(deployment.Profile, [.. deployment.Models.Select(m => m.Model)], clock, Seeds.For(seed, "calibrate/" + deployment.Name));
        var allocator = new PodAllocator(new Serving.Allocation.AllocatorOptions());
        var rates = mix.Select(m => m * requestsPerSecond).ToArray();
        for (var s = 0; s < WarmUpSeconds; s += 2)
        {
            allocator.Step(pod, pod.RunWindow(rates, 0, 2), 1, clock.Now);
        }

        var ok = true;
        ongoing = 0;
        cpu = 0;
        for (var w = 1; w <= ProbeWindows; w++)
        {
            var window = pod.RunWindow(rates, 0, 1);
            if (w % 2 == 0)
            {
                allocator.Step(pod, window, 1, clock.Now);
            }

            for (var i = 0; i < window.Lanes.Count; i++)
            {
                ok &= WindowVerdict.WithinSlo(window.Lanes[i], deployment.Models[i].Model.Slo);
                ongoing += window.Lanes[i].SecondsInPod / window.Seconds;
            }

            cpu += window.CpuUtilization;
            if (!ok || w == ProbeWindows)
            {
                // Means over the windows run (a failing probe stops at its first bad window).
                (cpu, ongoing) = (cpu / w, ongoing / w);
                return ok;
            }
        }

        return ok;
    }
}
