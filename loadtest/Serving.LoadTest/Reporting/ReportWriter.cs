namespace Serving.LoadTest.Reporting;

/// <summary>Writes a run's files into its output folder: summary.json, timeseries.json, latency.hgrm, latency.png, throughput.png.</summary>
internal static class ReportWriter
{
    public const string SummaryFile = "summary.json";
    public const string TimeSeriesFile = "timeseries.json";
    public const string LatencyPlotFile = "latency.png";
    public const string ThroughputPlotFile = "throughput.png";
    public const string LatencyDistributionFile = "latency.hgrm";

    public static void Write(string directory, RunReport report, bool withPlots = true)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        ReportJson.WriteFile(Path.Combine(directory, SummaryFile), report.Summary);
        ReportJson.WriteFile(Path.Combine(directory, TimeSeriesFile), report.TimeSeries);
        if (report.Latency is { } latency)
        {
            WriteDistribution(Path.Combine(directory, LatencyDistributionFile), latency);
        }

        if (!withPlots)
        {
            return;
        }

        var title = $"{report.Summary.Model} via {report.Summary.Transport}: {report.Summary.Schedule}";
        PlotRenderer.WriteLatency(report.TimeSeries, report.Summary.SloMs, title, Path.Combine(directory, LatencyPlotFile));
        PlotRenderer.WriteThroughput(report.TimeSeries, title, Path.Combine(directory, ThroughputPlotFile));
    }

    /// <summary>
    /// The whole run's latency (from the intended send) as HdrHistogram's percentile distribution, in
    /// milliseconds: the <c>.hgrm</c> text that HdrHistogram's plotter and other load tools read.
    /// </summary>
    public static void WriteDistribution(string path, HdrHistogram.HistogramBase latency)
    {
        ArgumentNullException.ThrowIfNull(latency);
        using var writer = new StreamWriter(path);
        HdrHistogram.HistogramExtensions.OutputPercentileDistribution(latency, writer, outputValueUnitScalingRatio: 1000.0); // recorded in µs
    }
}
