namespace Serving.Fleet.Traces;

/// <summary>
/// Another trace times a slowly wandering noise factor: a log-normal AR(1) process per second
/// (a correlation from one second to the next, and a stationary standard deviation
/// of the log), drawn up front from the given generator so the same seed gives the same trace.
/// </summary>
internal sealed class NoisyTrace : ITrace
{
    private readonly ITrace _inner;
    private readonly double[] _factors;

    public NoisyTrace(ITrace inner, double sigma, double correlation, int seconds, Random random)
    {
        _inner = inner;
        _factors = new double[Math.Max(seconds, 1)];
        var innovation = sigma * Math.Sqrt(1 - (correlation * correlation));
        var log = 0.0;
        for (var i = 0; i < _factors.Length; i++)
        {
            log = (correlation * log) + (innovation * Gaussian.Next(random));
            _factors[i] = Math.Exp(log - (sigma * sigma / 2));
        }
    }

    public double RequestsPerSecond(double seconds)
    {
        var index = Math.Clamp((int)Math.Floor(seconds), 0, _factors.Length - 1);
        return _inner.RequestsPerSecond(seconds) * _factors[index];
    }
}
