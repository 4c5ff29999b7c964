using Serving.Fleet.Autoscaling;

namespace Serving.Fleet.Fleet;

/// <summary>The autoscalers compared on every deployment, sized from the same calibrated pod capacity.</summary>
internal static class AutoscalerSet
{
    public static IReadOnlyList<string> Names { get; } = ["static-peak", "hpa-cpu", "keda-rate", "ray-serve", "allocator-keda", "allocator-keda-u80-k8s", "oracle"];

    /// <summary>Utilisation every dynamic autoscaler aims at (the HPA's CPU target; the request-rate and Ray Serve targets are 70% of capacity).</summary>
    public const double Target = 0.7;

    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="scenario">The scenario (bounds, duration).</param>
    /// <param name="deployment">The deployment scaled.</param>
    /// <param name="capacity">One pod's capacity at the deployment's average model mix.</param>
    /// <param name="modelCapacities">One pod's capacity for each of the deployment's models alone (requests per second).</param>
    public static IAutoscaler Create(string name, Scenario scenario, DeploymentSpec deployment, PodCapacity capacity, IReadOnlyList<double> modelCapacities) => name switch
    {
        "static-peak" => new StaticAutoscaler(Math.Max(scenario.MinPods, (int)Math.Ceiling(PeakPods(scenario, deployment, modelCapacities) - 1e-9))),
        "hpa-cpu" => new HpaCpuAutoscaler(scenario.MinPods, scenario.MaxPods, Target),
        "keda-rate" => ExternalMetricAutoscaler.OnRequestRate(Target * capacity.RequestsPerSecond, scenario.MinPods, scenario.MaxPods),
        "ray-serve" => new RayServeAutoscaler(capacity.OngoingAtTarget, scenario.MinPods, scenario.MaxPods),
        "allocator-keda" => ExternalMetricAutoscaler.OnDesiredReplicas(scenario.MinPods, scenario.MaxPods),
        "allocator-keda-u80-k8s" => ExternalMetricAutoscaler.OnDesiredReplicasTuned(0.8, scenario.MinPods, scenario.MaxPods),
        "oracle" => new OracleAutoscaler(scenario.MaxPods),
        _ => throw new ArgumentException($"unknown autoscaler '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>Pods at the start: the first second's load at the target utilisation.</summary>
    public static int InitialPods(Scenario scenario, DeploymentSpec deployment, PodCapacity capacity) =>
        Math.Clamp((int)Math.Ceiling(Rate(deployment, 0) / (Target * capacity.RequestsPerSecond)), scenario.MinPods, scenario.MaxPods);

    /// <summary>The trace's peak in pods at capacity (each model's rate over one pod's capacity for it alone, summed).</summary>
    public static double PeakPods(Scenario scenario, DeploymentSpec deployment, IReadOnlyList<double> modelCapacities)
    {
        var peak = 0.0;
        for (var t = 0; t < scenario.DurationSeconds; t++)
        {
            var pods = 0.0;
            for (var i = 0; i < deployment.Models.Count; i++)
            {
                pods += deployment.Models[i].Trace.RequestsPerSecond(t) / modelCapacities[i];
            }

            peak = Math.Max(peak, pods);
        }

        return peak;
    }

    private static double Rate(DeploymentSpec deployment, int second) => deployment.Models.Sum(m => m.Trace.RequestsPerSecond(second));
}
