namespace Serving.Fleet.Autoscaling;

/// <summary>
/// KEDA's HPA on an external metric with an <c>AverageValue</c> target: every sync,
/// usage = metric ÷ (target × current pods); outside the tolerance, desired = ceil(metric ÷ target);
/// then the behaviour's stabilisation and rate limits.
/// </summary>
internal sealed class ExternalMetricAutoscaler(string name, Func<FleetObservation, double> metric, double targetPerPod, HpaBehavior behavior, int minPods, int maxPods, int syncSeconds = 15) : IAutoscaler
{
    private double? _podTargetUtilization;

    private readonly HorizontalPodAutoscaler _hpa = new(behavior, minPods, maxPods);
    private int _desired = -1;

    public string Name => name;

    /// <summary>KEDA on the offered request rate, <paramref name="requestsPerPod"/> per pod (a Prometheus rate over 30 s), Kubernetes' default behaviour.</summary>
    public static ExternalMetricAutoscaler OnRequestRate(double requestsPerPod, int minPods, int maxPods) =>
        new("keda-rate", o => o.RequestRate30s, requestsPerPod, HpaBehavior.KubernetesDefault, minPods, maxPods);

    /// <summary>
    /// The chart's KEDA trigger: <c>sum(max by (model) (serving_desired_replicas))</c>, AverageValue
    /// threshold 1, polling every 15 s, the chart's <c>autoscaling.behavior</c>.
    /// </summary>
    public static ExternalMetricAutoscaler OnDesiredReplicas(int minPods, int maxPods) =>
        new("allocator-keda", o => o.AllocatorDesiredPods, 1, HpaBehavior.Chart, minPods, maxPods);

    /// <summary>
    /// The chart's KEDA trigger with two settings changed: the pods' <c>Serving:Allocator:TargetUtilization</c>
    /// (0.7 by default) and the chart's <c>autoscaling.behavior</c> replaced by Kubernetes' default
    /// (scale down at once after the 300 s window instead of one pod a minute).
    /// </summary>
    public static ExternalMetricAutoscaler OnDesiredReplicasTuned(double podTargetUtilization, int minPods, int maxPods) =>
        new($"allocator-keda-u{podTargetUtilization * 100:F0}-k8s", o => o.AllocatorDesiredPods, 1, HpaBehavior.KubernetesDefault, minPods, maxPods)
        {
            _podTargetUtilization = podTargetUtilization,
        };

    public Serving.Allocation.AllocatorOptions PodAllocatorOptions() =>
        _podTargetUtilization is { } target ? new() { TargetUtilization = target } : new();

    public int Decide(FleetObservation observation)
    {
        if (_desired < 0)
        {
            _desired = observation.CurrentPods;
        }

        if (observation.Seconds % syncSeconds != 0)
        {
            return _desired;
        }

        var value = metric(observation);
        var ratio = value / (targetPerPod * Math.Max(observation.CurrentPods, 1));
        var raw = _hpa.Propose(observation.CurrentPods, ratio, (int)Math.Ceiling(value / targetPerPod));
        _desired = _hpa.Reconcile(observation.Seconds, observation.CurrentPods, raw);
        return _desired;
    }
}
