using Polly.CircuitBreaker;
using Serving.Execution;

namespace Serving.Telemetry;

/// <summary>Feeds one model's routing events (fallbacks, GPU circuit changes) into the metrics.</summary>
internal sealed class ModelDeviceObserver(ServingMetrics metrics, string model) : IDeviceObserver
{
    public void Fallback(string reason) => metrics.Fallbacks.WithLabels(model, reason).Inc();

    public void CircuitChanged(CircuitState state) => metrics.SetCircuitState(model, "gpu", state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.HalfOpen => "half_open",
        _ => "open", // Open and Isolated: no batch goes to the GPU
    });
}
