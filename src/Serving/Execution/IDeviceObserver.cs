using Polly.CircuitBreaker;

namespace Serving.Execution;

/// <summary>What the router reports as it works; the host wires it to metrics.</summary>
public interface IDeviceObserver
{
    static IDeviceObserver None { get; } = new NoObserver();

    void Fallback(string reason);

    void CircuitChanged(CircuitState state);

    private sealed class NoObserver : IDeviceObserver
    {
        public void Fallback(string reason)
        {
        }

        public void CircuitChanged(CircuitState state)
        {
        }
    }
}
