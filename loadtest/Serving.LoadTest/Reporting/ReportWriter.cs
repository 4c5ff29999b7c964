namespace Serving.LoadTest.Reporting;

/// <summary>Writes a run's files into its output folder: summary.json, timeseries.json, latency.png, throughput.png.</summary>
internal static class ReportWriter
{
    public const string SummaryFile = "summary.json";
    public const string TimeSeriesFile = "timeseries.json";
    public const string LatencyPlotFile = "latency.png";
    public const string ThroughputPlotFile = "throughput.png";

    public static void Write(string directory, RunReport report, bool withPlots = true)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        ReportJson.WriteFile(Path.Combine(directory, SummaryFile), report.Summary);
        ReportJson.WriteFile(Path.Combine(directory, TimeSeriesFile), report.TimeSeries);
        if (!withPlots)
        {
            return;
        }

        var title = $"{report.Summary.Model} via {report.Summary.Transport}: {report.Summary.Schedule}";
        PlotRenderer.WriteLatency(report.TimeSeries, report.Summary.SloMs, title, Path.Combine(directory, LatencyPlotFile));
        PlotRenderer.WriteThroughput(report.TimeSeries, title, Path.Combine(directory, ThroughputPlotFile));
    }
}
