using HdrHistogram;
using Serving.LoadTest.Recording;

namespace Serving.LoadTest.Reporting;

/// <summary>Facts about a run that the recording does not hold.</summary>
internal sealed record RunFacts(
    DateTimeOffset StartedAtUtc,
    string Transport,
    string Target,
    string Model,
    string? ModelVersion,
    string Schedule,
    string Arrivals,
    int Seed,
    string Candidates,
    double MeanCandidatesPerRequest,
    string Workload,
    TimeSpan Window,
    double? SloMs,
    long Sent,
    long Abandoned,
    bool Cancelled);

/// <summary>Turns a <see cref="RunRecording"/> into the summary and time series written to disk.</summary>
internal static class SummaryBuilder
{
    /// <summary>The largest error rate a run may have and still count as within the SLO (0.1%).</summary>
    public const double MaxErrorRateWithinSlo = 0.001;

    public static RunReport Build(RunRecording recording, RunFacts facts)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(facts);
        return new RunReport(BuildSummary(recording, facts), BuildTimeSeries(recording), recording.Latency);
    }

    public static RunSummary BuildSummary(RunRecording recording, RunFacts facts)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(facts);
        var seconds = Math.Max(facts.Window.TotalSeconds, 1e-3);
        var errors = Math.Max(0, recording.Offered - recording.Succeeded);
        var errorRate = recording.Offered == 0 ? 0 : (double)errors / recording.Offered;
        var latency = Summarise(recording.Latency);
        var statusCounts = new SortedDictionary<string, long>(
            recording.StatusCounts.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);
        if (facts.Abandoned > 0)
        {
            statusCounts["CLIENT_ABANDONED"] = facts.Abandoned;
        }

        bool? withinSlo = facts.SloMs is { } slo
            ? latency.P99 is { } p99 && p99 <= slo && errorRate < MaxErrorRateWithinSlo && !facts.Cancelled
            : null;

        return new RunSummary
        {
            StartedAtUtc = facts.StartedAtUtc,
            Transport = facts.Transport,
            Target = facts.Target,
            Model = facts.Model,
            ModelVersion = facts.ModelVersion,
            Schedule = facts.Schedule,
            Arrivals = facts.Arrivals,
            Seed = facts.Seed,
            Candidates = facts.Candidates,
            MeanCandidatesPerRequest = Math.Round(facts.MeanCandidatesPerRequest, 3),
            Workload = facts.Workload,
            DurationSeconds = Math.Round(seconds, 6),
            SloMs = facts.SloMs,
            Offered = recording.Offered,
            Sent = facts.Sent,
            Completed = recording.Completed,
            Succeeded = recording.Succeeded,
            Dropped = recording.Dropped,
            Abandoned = facts.Abandoned,
            Errors = errors,
            OfferedRate = Math.Round(recording.Offered / seconds, 3),
            AchievedRate = Math.Round(recording.Succeeded / seconds, 3),
            CompletedRate = Math.Round(recording.Completed / seconds, 3),
            RowsPerSecond = Math.Round(recording.Rows / seconds, 3),
            ErrorRate = errorRate,
            LatencyMs = latency,
            SendLagMs = Summarise(recording.SendLag),
            StatusCounts = statusCounts,
            WithinSlo = withinSlo,
            Cancelled = facts.Cancelled,
        };
    }

    public static IReadOnlyList<TimeSeriesPoint> BuildTimeSeries(RunRecording recording)
    {
        ArgumentNullException.ThrowIfNull(recording);
        return [.. recording.Seconds.Select(s => new TimeSeriesPoint
        {
            Second = s.Second,
            Offered = s.Offered,
            Dropped = s.Dropped,
            Completed = s.Completed,
            Succeeded = s.Succeeded,
            Rows = s.Rows,
            StatusCounts = new SortedDictionary<string, long>(s.StatusCounts, StringComparer.Ordinal),
            P50Ms = LatencyHistograms.PercentileMs(s.Latency, 50),
            P99Ms = LatencyHistograms.PercentileMs(s.Latency, 99),
            P999Ms = LatencyHistograms.PercentileMs(s.Latency, 99.9),
            MaxMs = LatencyHistograms.MaxMs(s.Latency),
        })];
    }

    public static LatencySummary Summarise(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        var mean = LatencyHistograms.MeanMs(histogram);
        return new LatencySummary(
            LatencyHistograms.PercentileMs(histogram, 50),
            LatencyHistograms.PercentileMs(histogram, 90),
            LatencyHistograms.PercentileMs(histogram, 99),
            LatencyHistograms.PercentileMs(histogram, 99.9),
            LatencyHistograms.MaxMs(histogram),
            mean is { } m ? Math.Round(m, 3) : null)
        {
            P95 = LatencyHistograms.PercentileMs(histogram, 95),
        };
    }
}
