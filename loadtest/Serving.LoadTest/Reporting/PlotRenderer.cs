using ScottPlot;

namespace Serving.LoadTest.Reporting;

/// <summary>Draws the run's PNG plots with ScottPlot.</summary>
internal static class PlotRenderer
{
    private const int Width = 1100;
    private const int Height = 550;

    /// <summary>
    /// p50, p99 and p99.9 latency per second of the measured run (the warm-up is not recorded) on a
    /// log axis, so a 1 ms median and a 300 ms tail both read; the SLO as a dashed line.
    /// </summary>
    public static void WriteLatency(IReadOnlyList<TimeSeriesPoint> series, double? sloMs, string title, string path)
    {
        ArgumentNullException.ThrowIfNull(series);
        using var plot = new Plot();
        AddSeries(plot, series, p => Log(p.P50Ms), "p50");
        AddSeries(plot, series, p => Log(p.P99Ms), "p99");
        AddSeries(plot, series, p => Log(p.P999Ms), "p99.9");
        if (sloMs is { } slo)
        {
            var line = plot.Add.HorizontalLine(Math.Log10(slo));
            line.LegendText = "SLO (p99)";
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Red;
        }

        plot.Title(title);
        plot.XLabel("time since start of the measured run (s)");
        plot.YLabel("latency from intended send (ms, log scale)");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        };
        var low = Math.Floor(Math.Log10(Math.Max(MinOf(series, p => p.P50Ms), 0.01)));
        var high = Math.Ceiling(Math.Log10(MaxOf(series, p => p.P999Ms, sloMs) * 1.1));
        plot.Axes.SetLimitsY(low, Math.Max(high, low + 1));
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    private static double? Log(double? ms) => ms is > 0 ? Math.Log10(ms.Value) : null;

    /// <summary>Offered, completed and successful requests per second, and refusals and client drops when there are any.</summary>
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

        if (series.Any(p => Refused(p) > 0))
        {
            AddSeries(plot, series, p => Refused(p), "refused/s");
        }

        plot.Title(title);
        plot.XLabel("time since start of the measured run (s)");
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
            if (passed.Where(s => Math.Abs(s.OfferedRate - g) < 1e-6).Select(s => s.P99Ms).FirstOrDefault() is { } p99)
            {
                var point = plot.Add.ScatterPoints(new[] { g }, new[] { p99 });
                point.LegendText = "the goodput step";
                point.Color = Colors.DarkGreen;
                point.MarkerSize = 16;
                point.MarkerShape = MarkerShape.OpenCircle;
            }
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

    /// <summary>Calls refused per second: RESOURCE_EXHAUSTED over gRPC, 429 and 503 over REST.</summary>
    private static double? Refused(TimeSeriesPoint point) =>
        point.StatusCounts.GetValueOrDefault("RESOURCE_EXHAUSTED") + point.StatusCounts.GetValueOrDefault("HTTP_429") + point.StatusCounts.GetValueOrDefault("HTTP_503");

    private static double MinOf(IReadOnlyList<TimeSeriesPoint> series, Func<TimeSeriesPoint, double?> value)
    {
        var min = double.MaxValue;
        foreach (var point in series)
        {
            if (value(point) is { } v && v > 0 && v < min)
            {
                min = v;
            }
        }

        return min == double.MaxValue ? 1 : min;
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
