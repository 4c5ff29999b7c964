namespace Serving.Fleet.Autoscaling;

/// <summary>
/// The bound: at every second the fewest pods whose calibrated capacity covers that second's
/// offered load, known in hindsight, and ready at once (no start-up delay, no stabilisation). With
/// several models per pod, the load is counted in pods at each model's own capacity, so a shifting
/// mix is sized right.
/// </summary>
internal sealed class OracleAutoscaler(int maxPods) : IAutoscaler
{
    public string Name => "oracle";

    public bool Hindsight => true;

    public int Decide(FleetObservation observation) =>
        Math.Clamp((int)Math.Ceiling(observation.PodsAtCapacityNow - 1e-9), 1, maxPods);
}
