namespace Serving.Fleet.Traces;

/// <summary>A constant rate that jumps to <paramref name="highPerSecond"/> at <paramref name="atSeconds"/> for <paramref name="forSeconds"/>, then back.</summary>
internal sealed class StepTrace(double basePerSecond, double highPerSecond, double atSeconds, double forSeconds) : ITrace
{
    public double RequestsPerSecond(double seconds) =>
        seconds >= atSeconds && seconds < atSeconds + forSeconds ? highPerSecond : basePerSecond;
}
