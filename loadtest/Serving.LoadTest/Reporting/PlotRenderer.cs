using ScottPlot;

namespace Serving.LoadTest.Reporting;

/// <summary>Draws the run's PNG plots with ScottPlot.</summary>
internal static class PlotRenderer
{
    private const int Width = 1100;
    private const int Height = 550;

    /// <summary>p50, p99 and p99.9 latency per second, with the SLO as a dashed line.</summary>
    public static void WriteLatency(IReadOnlyList<TimeSeriesPoint> series, double? sloMs, string title, string path)
    {
        ArgumentNullException.ThrowIfNull(series);
        using var plot = new Plot();
        AddSeries(plot, series, p => p.P50Ms, "p50");
        AddSeries(plot, series, p => p.P99Ms, "p99");
        AddSeries(plot, series, p => p.P999Ms, "p99.9");
        if (sloMs is { } slo)
        {
            var line = plot.Add.HorizontalLine(slo);
            line.LegendText = "SLO (p99)";
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Red;
        }

        plot.Title(title);
        plot.XLabel("time since start (s)");
        plot.YLabel("latency from intended send (ms)");
        plot.Axes.SetLimitsY(0, MaxOf(series, p => p.P999Ms, sloMs) * 1.1);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Offered, completed and successful requests per second (and client drops when any).</summary>
    public static void WriteThroughput(IReadOnlyList<TimeSeriesPoint> series, string title, string path)
    {
        ArgumentNullException.ThrowIfNull(series);
        using var plot = new Plot();
        AddSeries(plot, series, p => p.Offered, "offered/s");
        AddSeries(plot, series, p => p.Completed, "completed/s");
        AddSeries(plot, series, p => p.Succeeded, "ok/s");
        if (series.Any(p => p.Dropped > 0))
        {
            AddSeries(plot, series, p => p.Dropped, "client drops/s");
        }

        plot.Title(title);
        plot.XLabel("time since start (s)");
        plot.YLabel("requests per second");
        plot.Axes.SetLimitsY(0, MaxOf(series, p => Math.Max(p.Offered, p.Completed), null) * 1.1);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>p99 against offered rate for each step of a goodput search, with the SLO and the result.</summary>
    public static void WriteGoodput(IReadOnlyList<Goodput.GoodputStep> steps, double sloMs, double? goodput, string path)
    {
        ArgumentNullException.ThrowIfNull(steps);
        using var plot = new Plot();
        var passed = steps.Where(s => s.Passed && s.P99Ms is not null).ToArray();
        var failed = steps.Where(s => !s.Passed && s.P99Ms is not null).ToArray();
        if (passed.Length > 0)
        {
            var ok = plot.Add.ScatterPoints(passed.Select(s => s.OfferedRate).ToArray(), passed.Select(s => s.P99Ms!.Value).ToArray());
            ok.LegendText = "within SLO";
            ok.Color = Colors.Green;
            ok.MarkerSize = 9;
        }

        if (failed.Length > 0)
        {
            var bad = plot.Add.ScatterPoints(failed.Select(s => s.OfferedRate).ToArray(), failed.Select(s => s.P99Ms!.Value).ToArray());
            bad.LegendText = "SLO missed";
            bad.Color = Colors.Red;
            bad.MarkerSize = 9;
        }

        var slo = plot.Add.HorizontalLine(sloMs);
        slo.LegendText = "SLO (p99)";
        slo.LinePattern = LinePattern.Dashed;
        if (goodput is { } g)
        {
            var result = plot.Add.VerticalLine(g);
            result.LegendText = "goodput at SLO";
            result.Color = Colors.Green;
        }

        plot.Title("p99 latency against offered rate");
        plot.XLabel("offered rate (requests/s)");
        plot.YLabel("p99 latency (ms)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    private static void AddSeries(Plot plot, IReadOnlyList<TimeSeriesPoint> series, Func<TimeSeriesPoint, double?> value, string label)
    {
        var points = series.Where(p => value(p) is not null).ToArray();
        if (points.Length == 0)
        {
            return;
        }

        var scatter = plot.Add.Scatter(points.Select(p => (double)p.Second).ToArray(), points.Select(p => value(p)!.Value).ToArray());
        scatter.LegendText = label;
        scatter.MarkerSize = points.Length > 120 ? 0 : 4;
        scatter.LineWidth = 2;
    }

    private static double MaxOf(IReadOnlyList<TimeSeriesPoint> series, Func<TimeSeriesPoint, double?> value, double? floor)
    {
        var max = floor ?? 0;
        foreach (var point in series)
        {
            if (value(point) is { } v && v > max)
            {
                max = v;
            }
        }

        return max > 0 ? max : 1;
    }
}
