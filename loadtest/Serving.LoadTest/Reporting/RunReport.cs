namespace Serving.LoadTest.Reporting;

/// <summary>Everything a run produced: the summary, the per-second series and (when recorded) the whole run's latency histogram.</summary>
internal sealed record RunReport(RunSummary Summary, IReadOnlyList<TimeSeriesPoint> TimeSeries, HdrHistogram.HistogramBase? Latency = null);
