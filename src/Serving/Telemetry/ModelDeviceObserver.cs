using Polly.CircuitBreaker;
using Prometheus;
using Serving.Execution;

namespace Serving.Telemetry;

/// <summary>Feeds one model's routing events (fallbacks, GPU circuit changes) into the metrics.</summary>
internal sealed class ModelDeviceObserver(ServingMetrics metrics, string model) : IDeviceObserver
{
    private readonly Gauge.Child _circuit = metrics.CircuitState.WithLabels(model, "gpu");

    public void Fallback(string reason) => metrics.Fallbacks.WithLabels(model, reason).Inc();

    public void CircuitChanged(CircuitState state) => _circuit.Set(state switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        _ => 2,
    });
}
