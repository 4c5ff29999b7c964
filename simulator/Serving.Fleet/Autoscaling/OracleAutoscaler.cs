namespace Serving.Fleet.Autoscaling;

/// <summary>
/// The bound: at every second the fewest pods whose calibrated capacity covers that second's
/// offered load, known in hindsight, and ready at once (no start-up delay, no stabilisation).
/// </summary>
internal sealed class OracleAutoscaler(double capacityPerPod, int maxPods) : IAutoscaler
{
    public string Name => "oracle";

    public bool Hindsight => true;

    public int Decide(FleetObservation observation) =>
        Math.Clamp((int)Math.Ceiling(observation.RequestRateNow / capacityPerPod), 1, maxPods);
}
