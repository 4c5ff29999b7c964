namespace Serving.Fleet.Fleet;

/// <summary>One second of a run, for the plots and the CSV.</summary>
internal sealed record SecondPoint(int Second, double OfferedPerSecond, int CurrentPods, int ReadyPods, double[] P99AllMs);

/// <summary>One model's outcome in one run.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="Windows">Measured 1-s windows (with traffic).</param>
/// <param name="WindowsWithinSlo">Of those, windows whose p99 over all offered requests was within the SLO.</param>
/// <param name="OfferedRequests">Requests offered over the run (the trace's, exact).</param>
/// <param name="GoodRequests">Estimated requests answered within their deadline (offered × the sampled windows' answered share).</param>
/// <param name="FailedRequests">Estimated requests refused or answered DEADLINE_EXCEEDED.</param>
internal sealed record ModelOutcome(string Model, int Windows, int WindowsWithinSlo, double OfferedRequests, double GoodRequests, double FailedRequests)
{
    public double WithinSloShare => Windows > 0 ? (double)WindowsWithinSlo / Windows : 1;

    public double GoodputShare => OfferedRequests > 0 ? GoodRequests / OfferedRequests : 1;

    public double FailedShare => OfferedRequests > 0 ? FailedRequests / OfferedRequests : 0;
}

/// <summary>One deployment under one autoscaler through one scenario.</summary>
internal sealed record RunResult(
    string Scenario,
    string Deployment,
    string Autoscaler,
    double DurationSeconds,
    double PodHours,
    double DeviceHours,
    string DeviceKind,
    int ScaleEvents,
    IReadOnlyList<ModelOutcome> Models,
    IReadOnlyList<SecondPoint> Series)
{
    /// <summary>Goodput: requests answered within their deadline per second, all models.</summary>
    public double GoodputPerSecond => Models.Sum(m => m.GoodRequests) / DurationSeconds;
}
