using Serving.Fleet.Autoscaling;

namespace Serving.Fleet.Fleet;

/// <summary>The autoscalers compared on every deployment, sized from the same calibrated pod capacity.</summary>
internal static class AutoscalerSet
{
    public static IReadOnlyList<string> Names { get; } = ["static-peak", "hpa-cpu", "keda-rate", "ray-serve", "allocator-keda", "oracle"];

    /// <summary>Utilisation every dynamic autoscaler aims at (the HPA's CPU target; the request-rate and Ray Serve targets are 70% of capacity).</summary>
    public const double Target = 0.7;

    public static IAutoscaler Create(string name, Scenario scenario, DeploymentSpec deployment, PodCapacity capacity) => name switch
    {
        "static-peak" => new StaticAutoscaler(Math.Max(scenario.MinPods, (int)Math.Ceiling(PeakRate(scenario, deployment) / capacity.RequestsPerSecond))),
        "hpa-cpu" => new HpaCpuAutoscaler(scenario.MinPods, scenario.MaxPods, Target),
        "keda-rate" => ExternalMetricAutoscaler.OnRequestRate(Target * capacity.RequestsPerSecond, scenario.MinPods, scenario.MaxPods),
        "ray-serve" => new RayServeAutoscaler(capacity.OngoingAtTarget, scenario.MinPods, scenario.MaxPods),
        "allocator-keda" => ExternalMetricAutoscaler.OnDesiredReplicas(scenario.MinPods, scenario.MaxPods),
        "oracle" => new OracleAutoscaler(capacity.RequestsPerSecond, scenario.MaxPods),
        _ => throw new ArgumentException($"unknown autoscaler '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>Pods at the start: the first second's load at the target utilisation.</summary>
    public static int InitialPods(Scenario scenario, DeploymentSpec deployment, PodCapacity capacity) =>
        Math.Clamp((int)Math.Ceiling(Rate(deployment, 0) / (Target * capacity.RequestsPerSecond)), scenario.MinPods, scenario.MaxPods);

    public static double PeakRate(Scenario scenario, DeploymentSpec deployment)
    {
        var peak = 0.0;
        for (var t = 0; t < scenario.DurationSeconds; t++)
        {
            peak = Math.Max(peak, Rate(deployment, t));
        }

        return peak;
    }

    private static double Rate(DeploymentSpec deployment, int second) => deployment.Models.Sum(m => m.Trace.RequestsPerSecond(second));
}
