using Serving.Allocation;

namespace Serving.Fleet.Pods;

/// <summary>
/// The real <see cref="AllocatorPolicy"/> inside a simulated pod: after each measured window it
/// turns the window into the policy's <see cref="ModelObservation"/> (this pod's figures, and the
/// fleet's as the Prometheus source would give them: this pod's times the ready pods, which is
/// exact when the load balancer spreads evenly), applies the plan's batch rows, queue delay and
/// session replicas to the pod's batchers, and keeps the fleet signal
/// (<c>serving_desired_replicas</c>) of each model.
/// </summary>
internal sealed class PodAllocator(AllocatorOptions options)
{
    private readonly Dictionary<string, double> _desired = new(StringComparer.Ordinal);

    public AllocatorPolicy Policy { get; } = new(options);

    /// <summary>Plans made so far: evidence that the policy decided.</summary>
    public int Steps { get; private set; }

    /// <summary>The last <c>serving_desired_replicas</c> of each model (the gauge keeps its last value when the policy returns NaN).</summary>
    public IReadOnlyDictionary<string, double> DesiredReplicas => _desired;

    /// <summary>The chart's KEDA query: the sum over models of the desired pods.</summary>
    public double DesiredPods()
    {
        var sum = 0.0;
        foreach (var value in _desired.Values)
        {
            sum += value;
        }

        return sum;
    }

    public IReadOnlyList<ModelPlan> Step(PodSimulator pod, PodWindow window, int readyPods, DateTimeOffset now)
    {
        var plans = new List<ModelPlan>(pod.Lanes.Count);
        var span = TimeSpan.FromSeconds(window.Seconds);
        var podRows = 0.0;
        var podCount = 0.0;
        foreach (var lane in window.Lanes)
        {
            podRows += lane.RowsAnswered / window.Seconds;
            podCount += lane.Answered;
        }

        var podLoad = new PodLoad(span, window.CoreBusySeconds / window.Seconds, podRows, podCount, pod.Profile.Cores);
        for (var i = 0; i < pod.Lanes.Count; i++)
        {
            var lane = pod.Lanes[i];
            var local = Snapshot(window.Lanes[i], window.Seconds, 1, fleetWide: false);
            var fleet = Snapshot(window.Lanes[i], window.Seconds, Math.Max(readyPods, 1), fleetWide: true);
            var observation = new ModelObservation
            {
                Model = lane.Model.Name,
                Now = now,
                Slo = lane.Model.Slo,
                Mode = lane.Options.Mode,
                MaxBatchRows = lane.Options.MaxBatchRows,
                TargetBatchRows = lane.Queue.TargetBatchRows,
                MaxQueueDelay = lane.Queue.MaxQueueDelay,
                Devices = [new DeviceReplicas(pod.Profile.DeviceKind, lane.ActiveReplicas, lane.LoadedReplicas)],
                PredictCompute = lane.Cost.Predict,
                Measurement = fleet,
                Local = local,
                Pod = podLoad,
            };
            var plan = Policy.Decide(observation);
            lane.Queue.TargetBatchRows = plan.TargetBatchRows;
            lane.Queue.MaxQueueDelay = plan.MaxQueueDelay;
            if (plan.Replicas.TryGetValue(pod.Profile.DeviceKind, out var replicas))
            {
                lane.ActiveReplicas = Math.Clamp(replicas, 1, lane.LoadedReplicas);
            }

            if (!double.IsNaN(plan.DesiredReplicas))
            {
                _desired[lane.Model.Name] = plan.DesiredReplicas;
            }

            plans.Add(plan);
            Steps++;
        }

        return plans;
    }

    /// <summary>A window's figures as the latency source reports them; <paramref name="pods"/> scales the rates to the fleet's.</summary>
    internal static LatencySnapshot Snapshot(LaneCounters counters, double seconds, int pods, bool fleetWide)
    {
        var sorted = counters.LatenciesMs.ToArray();
        Array.Sort(sorted);
        TimeSpan? p99 = sorted.Length > 0 ? TimeSpan.FromMilliseconds(Quantile(sorted, 0.99)) : null;
        TimeSpan? p50 = sorted.Length > 0 ? TimeSpan.FromMilliseconds(Quantile(sorted, 0.5)) : null;
        var scale = pods / seconds;
        return new LatencySnapshot(
            TimeSpan.FromSeconds(seconds),
            p99,
            p50,
            counters.Answered * (double)pods,
            counters.Answered * scale,
            counters.RowsAnswered * scale,
            (counters.Refused + counters.Late) * scale,
            counters.ComputeSeconds * scale,
            fleetWide);
    }

    /// <summary>The nearest-rank quantile of sorted values.</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        var rank = (int)Math.Ceiling(q * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}
