namespace Serving.LoadTest.Reporting;

/// <summary>Everything a run produced: the summary and the per-second series.</summary>
internal sealed record RunReport(RunSummary Summary, IReadOnlyList<TimeSeriesPoint> TimeSeries);
