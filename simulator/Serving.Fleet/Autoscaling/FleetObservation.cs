namespace Serving.Fleet.Autoscaling;

/// <summary>What an autoscaler can read about one deployment at one second.</summary>
internal sealed record FleetObservation
{
    public required double Seconds { get; init; }

    /// <summary>Pods that exist (ready or starting): what the Deployment's replica count says.</summary>
    public required int CurrentPods { get; init; }

    public required int ReadyPods { get; init; }

    /// <summary>Requests per second offered to the deployment, averaged over the last 30 s (a Prometheus <c>rate(...[30s])</c>).</summary>
    public required double RequestRate30s { get; init; }

    /// <summary>Requests per second offered this second (the hindsight oracle and static provisioning only).</summary>
    public required double RequestRateNow { get; init; }

    /// <summary>This second's load in pods at capacity: Σ over models of the model's rate ÷ what one pod answers of it alone (the hindsight oracle only).</summary>
    public double PodsAtCapacityNow { get; init; }

    /// <summary>Mean CPU utilisation of the ready pods over the last 15 s (metrics-server), 0–1.</summary>
    public required double CpuUtilization15s { get; init; }

    /// <summary>Requests in flight per ready pod (queued, handled or computing), averaged over the last 30 s.</summary>
    public required double OngoingPerPod30s { get; init; }

    /// <summary>The chart's KEDA query on the real policy's fleet signal: Σ over models of <c>serving_desired_replicas</c>.</summary>
    public required double AllocatorDesiredPods { get; init; }
}
