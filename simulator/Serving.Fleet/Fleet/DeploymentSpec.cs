using Serving.Fleet.Devices;
using Serving.Fleet.Pods;
using Serving.Fleet.Traces;

namespace Serving.Fleet.Fleet;

/// <summary>One model and the traffic it is offered.</summary>
internal sealed record ModelTraffic(SimModel Model, ITrace Trace);

/// <summary>A Deployment: one kind of pod serving one model, or several models sharing each pod.</summary>
internal sealed record DeploymentSpec(string Name, PodProfile Profile, IReadOnlyList<ModelTraffic> Models);

/// <summary>
/// A scenario: deployments and their traces over a duration. Every <see cref="DetailEverySeconds"/>
/// seconds one representative pod per deployment is simulated in detail for one second (after a
/// short warm-up) at that second's per-pod load; the seconds between reuse its per-request figures.
/// </summary>
internal sealed record Scenario(string Name, string Description, int DurationSeconds, int DetailEverySeconds, IReadOnlyList<DeploymentSpec> Deployments)
{
    /// <summary>Arrivals simulated before each measured second so it starts with a realistic queue.</summary>
    public double WarmUpSeconds { get; init; } = 0.2;

    /// <summary>Pods hard bounds for every autoscaler.</summary>
    public int MinPods { get; init; } = 1;

    public int MaxPods { get; init; } = 200;

    /// <summary>When the scenario's step or flash crowd starts (for the settling time); null when it has none.</summary>
    public int? StepAtSeconds { get; init; }
}
