namespace Serving.LoadTest.Goodput;

/// <summary>One step of the search: a short steady run at one offered rate.</summary>
/// <param name="Index">Step number, from 0.</param>
/// <param name="Phase">explore (doubling), descend (halving after a failed start) or bisect.</param>
/// <param name="OfferedRate">Offered requests per second.</param>
/// <param name="AchievedRate">Successful responses per second.</param>
/// <param name="RowsPerSecond">Candidates scored per second.</param>
/// <param name="P99Ms">p99 latency from intended send, ms.</param>
/// <param name="ErrorRate">Errors / offered.</param>
/// <param name="Passed">p99 within the SLO and error rate below the limit.</param>
/// <param name="SendLagP99Ms">The generator's own lateness (p99 of actual minus intended send, ms): the part of <paramref name="P99Ms"/> that is the generator's, not the server's.</param>
public sealed record GoodputStep(
    int Index,
    string Phase,
    double OfferedRate,
    double AchievedRate,
    double RowsPerSecond,
    double? P99Ms,
    double ErrorRate,
    bool Passed,
    double? SendLagP99Ms = null);

/// <summary>The outcome of a goodput search, written as <c>goodput.json</c>.</summary>
public sealed record GoodputResult
{
    public int SchemaVersion { get; init; } = 1;

    public string Model { get; init; } = "";

    public string Transport { get; init; } = "";

    public double SloMs { get; init; }

    public double MaxErrorRate { get; init; }

    public double StepDurationSeconds { get; init; }

    /// <summary>Steps at low rates ran longer, to offer at least this many requests (0: none did).</summary>
    public int MinRequestsPerStep { get; init; }

    /// <summary>The highest offered rate that passed, in requests per second; null when none did.</summary>
    public double? GoodputRate { get; init; }

    /// <summary>Successful requests per second measured at <see cref="GoodputRate"/>.</summary>
    public double? AchievedRate { get; init; }

    /// <summary>Candidates scored per second at <see cref="GoodputRate"/>.</summary>
    public double? RowsPerSecond { get; init; }

    public double? P99Ms { get; init; }

    /// <summary>The generator's send lag p99 (ms) at <see cref="GoodputRate"/>: how much of <see cref="P99Ms"/> is the generator's own lateness.</summary>
    public double? SendLagP99Ms { get; init; }

    /// <summary>The lowest offered rate that failed; null when none did.</summary>
    public double? FirstFailingRate { get; init; }

    /// <summary>The max rate passed: the true goodput may be higher.</summary>
    public bool HitMaxRate { get; init; }

    public bool Cancelled { get; init; }

    public IReadOnlyList<GoodputStep> Steps { get; init; } = [];
}
