namespace Serving.Fleet.Autoscaling;

/// <summary>
/// The Kubernetes HPA's replica algorithm (pkg/controller/podautoscaler, autoscaling/v2): a
/// proposal that holds within the tolerance, the stabilisation windows (the lowest proposal of the
/// scale-up window, the highest of the scale-down window), then the behaviour's rate limits
/// relative to the replicas at the start of each policy's period, then min/max.
/// </summary>
internal sealed class HorizontalPodAutoscaler(HpaBehavior behavior, int minReplicas, int maxReplicas, double tolerance = 0.1)
{
    private readonly List<(double At, int Replicas)> _recommendations = [];
    private readonly List<(double At, int Change)> _events = [];

    public double Tolerance => tolerance;

    /// <summary>
    /// The HPA's proposal before stabilisation: the current replicas while <paramref name="usageRatio"/>
    /// (metric ÷ target) is within the tolerance of 1, else <paramref name="proposal"/>.
    /// </summary>
    public int Propose(int current, double usageRatio, int proposal) =>
        Math.Abs(1.0 - usageRatio) <= tolerance ? current : proposal;

    /// <summary>One reconciliation at <paramref name="nowSeconds"/>: the replicas to run, given the raw proposal.</summary>
    public int Reconcile(double nowSeconds, int current, int proposal)
    {
        var up = proposal;
        var down = proposal;
        foreach (var (at, replicas) in _recommendations)
        {
            if (at > nowSeconds - behavior.ScaleUpWindowSeconds)
            {
                up = Math.Min(up, replicas);
            }

            if (at > nowSeconds - behavior.ScaleDownWindowSeconds)
            {
                down = Math.Max(down, replicas);
            }
        }

        _recommendations.Add((nowSeconds, proposal));
        _recommendations.RemoveAll(r => r.At <= nowSeconds - Math.Max(behavior.ScaleUpWindowSeconds, behavior.ScaleDownWindowSeconds));
        var stabilized = current;
        stabilized = stabilized < up ? up : stabilized;
        stabilized = stabilized > down ? down : stabilized;

        var desired = stabilized;
        if (desired > current)
        {
            desired = Math.Min(desired, ScaleUpLimit(nowSeconds, current));
        }
        else if (desired < current)
        {
            desired = Math.Max(desired, ScaleDownLimit(nowSeconds, current));
        }

        desired = Math.Clamp(desired, minReplicas, maxReplicas);
        if (desired != current)
        {
            _events.Add((nowSeconds, desired - current));
        }

        return desired;
    }

    private int ScaleUpLimit(double now, int current)
    {
        var limit = int.MinValue;
        foreach (var policy in behavior.ScaleUp)
        {
            var start = current - Changes(now, policy.PeriodSeconds, up: true);
            var proposed = policy.Percent ? (int)Math.Ceiling(start * (1 + (policy.Value / 100.0))) : start + policy.Value;
            limit = Math.Max(limit, proposed);
        }

        return limit;
    }

    private int ScaleDownLimit(double now, int current)
    {
        var limit = int.MaxValue;
        foreach (var policy in behavior.ScaleDown)
        {
            var start = current + Changes(now, policy.PeriodSeconds, up: false);
            var proposed = policy.Percent ? (int)Math.Ceiling(start * (1 - (policy.Value / 100.0))) : start - policy.Value;
            limit = Math.Min(limit, proposed);
        }

        return limit;
    }

    /// <summary>Pods added (<paramref name="up"/>) or removed within the last <paramref name="periodSeconds"/>.</summary>
    private int Changes(double now, int periodSeconds, bool up)
    {
        var sum = 0;
        foreach (var (at, change) in _events)
        {
            if (at > now - periodSeconds && (up ? change > 0 : change < 0))
            {
                sum += Math.Abs(change);
            }
        }

        return sum;
    }
}
