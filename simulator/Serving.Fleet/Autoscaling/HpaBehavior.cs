namespace Serving.Fleet.Autoscaling;

/// <summary>One HPA scaling policy: at most <paramref name="Value"/> pods (or percent) per <paramref name="PeriodSeconds"/>.</summary>
internal sealed record ScalingPolicy(bool Percent, int Value, int PeriodSeconds);

/// <summary>
/// An HPA's <c>behavior</c> (autoscaling/v2): the stabilisation windows and rate limits each way;
/// the direction's policies combine with <c>selectPolicy: Max</c> (the one that allows the most change).
/// </summary>
internal sealed record HpaBehavior(int ScaleUpWindowSeconds, IReadOnlyList<ScalingPolicy> ScaleUp, int ScaleDownWindowSeconds, IReadOnlyList<ScalingPolicy> ScaleDown)
{
    /// <summary>Kubernetes' defaults: up at once, by 100% or 4 pods per 15 s; down after a 300 s window, by 100% per 15 s.</summary>
    public static HpaBehavior KubernetesDefault { get; } = new(
        0,
        [new ScalingPolicy(Percent: true, 100, 15), new ScalingPolicy(Percent: false, 4, 15)],
        300,
        [new ScalingPolicy(Percent: true, 100, 15)]);

    /// <summary>The chart's <c>autoscaling.behavior</c> (helm/serving/values.yaml): up by 100% or 4 pods per 30 s; down after 300 s, by one pod or 10% per 60 s.</summary>
    public static HpaBehavior Chart { get; } = new(
        0,
        [new ScalingPolicy(Percent: true, 100, 30), new ScalingPolicy(Percent: false, 4, 30)],
        300,
        [new ScalingPolicy(Percent: false, 1, 60), new ScalingPolicy(Percent: true, 10, 60)]);
}
