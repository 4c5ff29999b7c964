using Serving.Allocation;
using Serving.Fleet.Autoscaling;
using Serving.Fleet.Pods;
using Serving.Fleet.Simulation;

namespace Serving.Fleet.Fleet;

/// <summary>
/// One deployment through one scenario under one autoscaler, second by second: the trace's load
/// split evenly over the ready pods; every <see cref="Scenario.DetailEverySeconds"/> s a
/// representative pod (the real batcher and the real <see cref="AllocatorPolicy"/> inside) is
/// simulated in detail for one second at the per-pod load; the autoscaler reads its signals every
/// second and pods it adds become ready after their start-up delay.
/// </summary>
internal sealed class FleetRun(Scenario scenario, DeploymentSpec spec, IAutoscaler autoscaler, int seed, IReadOnlyList<double> modelCapacities)
{
    private readonly Queue<double> _rates30s = new();
    private readonly Queue<double> _cpu15s = new();
    private readonly Queue<double> _ongoing30s = new();

    /// <summary>The representative pod (for tests: evidence of the real batcher at work).</summary>
    public PodSimulator? Pod { get; private set; }

    /// <summary>The policy inside the representative pod.</summary>
    public PodAllocator? Allocator { get; private set; }

    public RunResult Run(int initialPods)
    {
        var clock = new SimClock(SimClock.Epoch);
        var runName = $"{scenario.Name}/{spec.Name}/{autoscaler.Name}";
        var pod = new PodSimulator(spec.Profile, [.. spec.Models.Select(m => m.Model)], clock, Seeds.For(seed, "pod/" + runName));
        var allocator = new PodAllocator(autoscaler.PodAllocatorOptions());
        (Pod, Allocator) = (pod, allocator);
        var deployment = new Deployment(spec.Profile.StartupMinSeconds, spec.Profile.StartupMaxSeconds, Seeds.For(seed, "startup/" + runName));
        deployment.ScaleTo(initialPods, 0, instant: true);

        var models = spec.Models.Count;
        var windows = new int[models];
        var okWindows = new int[models];
        var offered = new double[models];
        var good = new double[models];
        var failed = new double[models];
        var series = new List<SecondPoint>(scenario.DurationSeconds);
        var podSeconds = 0.0;
        var lastP99 = Enumerable.Repeat(double.NaN, models).ToArray();
        double cpuPerRequest = 0, inFlightPerRequestSecond = 0;
        var goodShare = Enumerable.Repeat(1.0, models).ToArray();

        for (var second = 0; second < scenario.DurationSeconds; second++)
        {
            var rates = spec.Models.Select(m => m.Trace.RequestsPerSecond(second)).ToArray();
            var total = rates.Sum();
            if (autoscaler.Hindsight)
            {
                // A hindsight bound sizes the fleet for this very second, before it is served.
                var pods = rates.Select((r, i) => r / modelCapacities[i]).Sum();
                deployment.ScaleTo(Math.Clamp(autoscaler.Decide(Hindsight(second, total, pods, deployment)), scenario.MinPods, scenario.MaxPods), second, instant: true);
            }

            var ready = deployment.ReadyPods(second);
            var p99 = Enumerable.Repeat(double.NaN, models).ToArray();
            if (second % scenario.DetailEverySeconds == 0)
            {
                if (ready > 0)
                {
                    var window = pod.RunWindow([.. rates.Select(r => r / ready)], scenario.WarmUpSeconds, 1);
                    var windowOffered = 0;
                    var inPod = 0.0;
                    for (var i = 0; i < models; i++)
                    {
                        var lane = window.Lanes[i];
                        windowOffered += lane.Offered;
                        inPod += lane.SecondsInPod;
                        if (lane.Offered > 0)
                        {
                            windows[i]++;
                            okWindows[i] += WindowVerdict.WithinSlo(lane, spec.Models[i].Model.Slo) ? 1 : 0;
                            p99[i] = WindowVerdict.P99AllMs(lane);
                            goodShare[i] = (double)lane.Answered / lane.Offered;
                        }
                    }

                    if (windowOffered > 0)
                    {
                        cpuPerRequest = window.CoreBusySeconds / windowOffered;
                        inFlightPerRequestSecond = inPod / windowOffered;
                    }

                    allocator.Step(pod, window, ready, clock.Now);
                }
                else
                {
                    for (var i = 0; i < models; i++)
                    {
                        if (rates[i] > 0)
                        {
                            windows[i]++;
                            p99[i] = double.PositiveInfinity;
                            goodShare[i] = 0;
                        }
                    }
                }

                Array.Copy(p99, lastP99, models);
            }

            for (var i = 0; i < models; i++)
            {
                var share = ready > 0 ? goodShare[i] : 0;
                offered[i] += rates[i];
                good[i] += rates[i] * share;
                failed[i] += rates[i] * (1 - share);
            }

            var perPod = ready > 0 ? total / ready : 0;
            Push(_rates30s, total, 30);
            Push(_cpu15s, ready > 0 ? Math.Min(1, perPod * cpuPerRequest / spec.Profile.Cores) : 0, 15);
            Push(_ongoing30s, perPod * inFlightPerRequestSecond, 30);
            var observation = new FleetObservation
            {
                Seconds = second,
                CurrentPods = deployment.CurrentPods,
                ReadyPods = ready,
                RequestRate30s = _rates30s.Average(),
                RequestRateNow = total,
                CpuUtilization15s = _cpu15s.Average(),
                OngoingPerPod30s = _ongoing30s.Average(),
                AllocatorDesiredPods = allocator.DesiredPods(),
            };
            if (!autoscaler.Hindsight)
            {
                deployment.ScaleTo(Math.Clamp(autoscaler.Decide(observation), scenario.MinPods, scenario.MaxPods), second, instant: false);
            }

            podSeconds += deployment.CurrentPods;
            series.Add(new SecondPoint(second, total, deployment.CurrentPods, deployment.ReadyPods(second), p99));
        }

        var outcomes = new List<ModelOutcome>(models);
        for (var i = 0; i < models; i++)
        {
            outcomes.Add(new ModelOutcome(spec.Models[i].Model.Name, windows[i], okWindows[i], offered[i], good[i], failed[i]));
        }

        return new RunResult(
            scenario.Name,
            spec.Name,
            autoscaler.Name,
            scenario.DurationSeconds,
            podSeconds / 3600,
            podSeconds * spec.Profile.Devices / 3600,
            spec.Profile.DeviceKind,
            deployment.ScaleEvents,
            outcomes,
            series);
    }

    private static FleetObservation Hindsight(int second, double total, double podsAtCapacity, Deployment deployment) => new()
    {
        PodsAtCapacityNow = podsAtCapacity,
        Seconds = second,
        CurrentPods = deployment.CurrentPods,
        ReadyPods = deployment.ReadyPods(second),
        RequestRate30s = total,
        RequestRateNow = total,
        CpuUtilization15s = 0,
        OngoingPerPod30s = 0,
        AllocatorDesiredPods = 0,
    };

    private static void Push(Queue<double> history, double value, int seconds)
    {
        history.Enqueue(value);
        while (history.Count > seconds)
        {
            history.Dequeue();
        }
    }
}
