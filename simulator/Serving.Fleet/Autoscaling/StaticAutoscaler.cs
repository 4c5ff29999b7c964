namespace Serving.Fleet.Autoscaling;

/// <summary>Static peak provisioning: the pods the trace's peak needs, chosen in hindsight, all day.</summary>
internal sealed class StaticAutoscaler(int pods) : IAutoscaler
{
    public string Name => "static-peak";

    public bool Hindsight => true;

    public int Decide(FleetObservation observation) => pods;
}
