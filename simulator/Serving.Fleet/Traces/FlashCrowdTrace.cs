namespace Serving.Fleet.Traces;

/// <summary>
/// Extra load on top of another trace: from <paramref name="atSeconds"/> it climbs linearly to
/// <paramref name="extraPerSecond"/> in <paramref name="rampSeconds"/> (0: at once, a spike), holds for
/// <paramref name="holdSeconds"/>, then decays exponentially with time constant <paramref name="decaySeconds"/>.
/// </summary>
internal sealed class FlashCrowdTrace(ITrace inner, double extraPerSecond, double atSeconds, double rampSeconds, double holdSeconds, double decaySeconds) : ITrace
{
    public double RequestsPerSecond(double seconds) => inner.RequestsPerSecond(seconds) + Extra(seconds);

    private double Extra(double seconds)
    {
        var since = seconds - atSeconds;
        if (since < 0)
        {
            return 0;
        }

        if (since < rampSeconds)
        {
            return extraPerSecond * since / rampSeconds;
        }

        var afterHold = since - rampSeconds - holdSeconds;
        return afterHold <= 0 ? extraPerSecond : extraPerSecond * Math.Exp(-afterHold / Math.Max(decaySeconds, 1e-9));
    }
}
