namespace Serving.Fleet.Autoscaling;

/// <summary>
/// Kubernetes HPA on CPU utilisation (resource metric, target 70%): every 15 s,
/// desired = ceil(ready × utilisation ÷ target) outside the 0.1 tolerance; when scaling up,
/// pods not yet ready count as 0% busy (the HPA's rule for unready pods); Kubernetes' default
/// behaviour (scale-down stabilisation 300 s).
/// </summary>
internal sealed class HpaCpuAutoscaler(int minPods, int maxPods, double targetUtilization = 0.7, int syncSeconds = 15) : IAutoscaler
{
    private readonly HorizontalPodAutoscaler _hpa = new(HpaBehavior.KubernetesDefault, minPods, maxPods);
    private int _desired = -1;

    public string Name => "hpa-cpu";

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

        var ready = Math.Max(observation.ReadyPods, 1);
        var ratio = observation.CpuUtilization15s / targetUtilization;
        var proposal = (int)Math.Ceiling(ratio * ready);
        var unready = observation.CurrentPods - observation.ReadyPods;
        if (ratio > 1 && unready > 0)
        {
            // Unready pods count as using nothing: the ratio over all pods decides, and a ratio back within the tolerance holds.
            ratio = observation.CpuUtilization15s * ready / (targetUtilization * observation.CurrentPods);
            proposal = ratio <= 1 ? observation.CurrentPods : (int)Math.Ceiling(ratio * observation.CurrentPods);
        }

        var raw = _hpa.Propose(observation.CurrentPods, ratio, proposal);
        _desired = _hpa.Reconcile(observation.Seconds, observation.CurrentPods, raw);
        return _desired;
    }
}
