namespace Serving.Fleet.Traces;

/// <summary>Offered load over time: requests per second at each second of a run.</summary>
internal interface ITrace
{
    /// <summary>Mean requests per second during the second starting at <paramref name="seconds"/>.</summary>
    double RequestsPerSecond(double seconds);
}
