namespace Serving.Fleet.Traces;

/// <summary>A day's cycle: a cosine from <paramref name="troughPerSecond"/> (at <paramref name="troughAtSeconds"/>) to <paramref name="crestPerSecond"/> half a period later.</summary>
internal sealed class DiurnalTrace(double troughPerSecond, double crestPerSecond, double periodSeconds, double troughAtSeconds = 0) : ITrace
{
    public double RequestsPerSecond(double seconds)
    {
        var phase = 2 * Math.PI * (seconds - troughAtSeconds) / periodSeconds;
        return troughPerSecond + ((crestPerSecond - troughPerSecond) * (1 - Math.Cos(phase)) / 2);
    }
}
