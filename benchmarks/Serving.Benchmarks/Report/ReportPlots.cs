using System.Globalization;
using ScottPlot;
using Serving.LoadTest.Goodput;

namespace Serving.Benchmarks;

/// <summary>The report's own plots: raw ONNX Runtime by batch size, and each workload's goodput searches for the three modes on one chart.</summary>
internal static class ReportPlots
{
    private const int Width = 900;
    private const int Height = 450;

    private static readonly Color[] ModeColors = [Colors.Green, Colors.Orange, Colors.Blue];

    /// <summary>plots/raw-ort.png and plots/goodput-WORKLOAD.png in <paramref name="dir"/>.</summary>
    public static void WriteAll(string dir, RawOrtResult? raw, IReadOnlyDictionary<string, GoodputResult?> searches)
    {
        ArgumentNullException.ThrowIfNull(searches);
        Directory.CreateDirectory(Path.Combine(dir, "plots"));
        if (raw is not null)
        {
            WriteRawOrt(raw, Path.Combine(dir, "plots", "raw-ort.png"));
        }

        foreach (var (key, title) in BenchmarkGrid.Workloads)
        {
            var byMode = BenchmarkGrid.Modes.Select(m => searches.GetValueOrDefault(BenchmarkGrid.Id(m, key))).ToArray();
            WriteGoodput(byMode, title, Path.Combine(dir, "plots", $"goodput-{key}.png"));
        }
    }

    /// <summary>Rows/s of the raw loop at each batch size (x on a log2 scale).</summary>
    private static void WriteRawOrt(RawOrtResult raw, string path)
    {
        if (raw.Sizes.Count == 0)
        {
            return;
        }

        var rows = raw.Sizes.Select(s => (double)s.BatchRows).ToArray();
        var rate = raw.Sizes.Select(s => s.RowsPerSecond / 1000).ToArray();
        using var plot = new Plot();
        var line = plot.Add.Scatter(rows.Select(Math.Log2).ToArray(), rate);
        line.LineWidth = 2;
        line.MarkerSize = 7;
        line.LegendText = "raw ONNX Runtime, 1 core";
        plot.Axes.Bottom.SetTicks(rows.Select(Math.Log2).ToArray(), rows.Select(r => r.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Title("criteo-deepfm: raw ONNX Runtime throughput by batch size (1 intra-op thread, 1 core)");
        plot.XLabel("batch rows");
        plot.YLabel("thousand rows/s");
        plot.Axes.SetLimitsY(0, rate.Max() * 1.1);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>p99 against offered requests/s for every step of the three modes' searches on one workload (<paramref name="byMode"/> in <see cref="BenchmarkGrid.Modes"/> order).</summary>
    private static void WriteGoodput(GoodputResult?[] byMode, string title, string path)
    {
        using var plot = new Plot();
        var any = false;
        for (var m = 0; m < byMode.Length; m++)
        {
            var mode = BenchmarkGrid.Modes[m];
            if (byMode[m] is not { } search)
            {
                continue;
            }

            var points = search.Steps.Where(s => s.P99Ms is not null)
                .Select(s => (Rate: s.OfferedRate, P99: s.P99Ms!.Value, s.Passed))
                .OrderBy(p => p.Rate)
                .ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            any = true;
            var line = plot.Add.Scatter(points.Select(p => p.Rate).ToArray(), points.Select(p => Math.Min(p.P99, 50)).ToArray());
            line.LegendText = $"{mode} (filled: passed)";
            line.Color = ModeColors[m];
            line.LineWidth = 1;
            line.MarkerSize = 0;
            var passed = points.Where(p => p.Passed).ToArray();
            if (passed.Length > 0)
            {
                var dots = plot.Add.ScatterPoints(passed.Select(p => p.Rate).ToArray(), passed.Select(p => p.P99).ToArray());
                dots.Color = ModeColors[m];
                dots.MarkerSize = 9;
                dots.MarkerShape = MarkerShape.FilledCircle;
            }

            var failed = points.Where(p => !p.Passed).ToArray();
            if (failed.Length > 0)
            {
                var rings = plot.Add.ScatterPoints(failed.Select(p => p.Rate).ToArray(), failed.Select(p => Math.Min(p.P99, 50)).ToArray());
                rings.Color = ModeColors[m];
                rings.MarkerSize = 9;
                rings.MarkerShape = MarkerShape.OpenCircle;
            }
        }

        if (!any)
        {
            return;
        }

        var slo = plot.Add.HorizontalLine(10);
        slo.LegendText = "SLO: p99 10 ms";
        slo.LinePattern = LinePattern.Dashed;
        slo.Color = Colors.Red;
        plot.Title($"criteo-deepfm, {title}: p99 of each goodput-search step");
        plot.XLabel("offered requests/s");
        plot.YLabel("p99 latency (ms)");
        plot.Axes.SetLimitsY(0, 52);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }
}
