using System.Globalization;

namespace Serving.LoadTest.Reporting;

/// <summary>
/// Pass/fail limits a run is given on its command line (<c>--max-p99-ms</c>, <c>--max-error-rate</c>),
/// as k6's thresholds: when one is missed the run exits with <see cref="FailedExitCode"/>, so a CI
/// job or a release gate can stop on it.
/// </summary>
/// <param name="MaxP99Ms">Largest p99 latency allowed, ms from the intended send; null: no limit.</param>
/// <param name="MaxErrorRate">Largest share of calls not OK allowed (0.001 = 0.1%); null: no limit.</param>
public sealed record RunThresholds(double? MaxP99Ms, double? MaxErrorRate)
{
    /// <summary>The exit code of a run that missed a threshold (k6 uses the same).</summary>
    public const int FailedExitCode = 99;

    public static RunThresholds None { get; } = new(null, null);

    /// <summary>Each threshold given, its outcome and a line saying so; empty when none was given.</summary>
    public IReadOnlyList<(bool Met, string Line)> Judge(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var c = CultureInfo.InvariantCulture;
        var results = new List<(bool, string)>();
        if (MaxP99Ms is { } p99Limit)
        {
            var p99 = summary.LatencyMs.P99;
            var met = p99 is { } value && value <= p99Limit;
            results.Add((met, string.Create(c, $"threshold p99 <= {p99Limit:0.###} ms: {(met ? "met" : "FAILED")} (p99 {(p99 is { } v ? v.ToString("0.###", c) : "none: no call answered")})")));
        }

        if (MaxErrorRate is { } errorLimit)
        {
            var met = summary.Completed > 0 && summary.ErrorRate <= errorLimit;
            results.Add((met, string.Create(c, $"threshold error rate <= {errorLimit * 100:0.###}%: {(met ? "met" : "FAILED")} ({summary.ErrorRate * 100:0.###}% of {summary.Completed} calls)")));
        }

        return results;
    }
}
