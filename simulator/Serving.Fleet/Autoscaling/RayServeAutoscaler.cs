namespace Serving.Fleet.Autoscaling;

/// <summary>
/// Ray Serve's request-based autoscaling: desired = ceil(current × ongoing requests per replica ÷
/// <c>target_ongoing_requests</c>) (metrics averaged over <c>look_back_period_s</c> = 30 s), applied
/// only after the decision has pointed the same way for <c>upscale_delay_s</c> (30 s) or
/// <c>downscale_delay_s</c> (600 s); Ray Serve's defaults.
/// </summary>
internal sealed class RayServeAutoscaler(double targetOngoingPerPod, int minPods, int maxPods, double upscaleDelaySeconds = 30, double downscaleDelaySeconds = 600) : IAutoscaler
{
    private int _counter;

    public string Name => "ray-serve";

    public int Decide(FleetObservation observation)
    {
        var current = observation.CurrentPods;
        var total = observation.OngoingPerPod30s * observation.ReadyPods;
        var desired = Math.Clamp((int)Math.Ceiling(total / targetOngoingPerPod), minPods, maxPods);
        if (desired > current)
        {
            _counter = Math.Max(_counter, 0) + 1;
            if (_counter > upscaleDelaySeconds)
            {
                _counter = 0;
                return desired;
            }
        }
        else if (desired < current)
        {
            _counter = Math.Min(_counter, 0) - 1;
            if (-_counter > downscaleDelaySeconds)
            {
                _counter = 0;
                return desired;
            }
        }
        else
        {
            _counter = 0;
        }

        return current;
    }
}
