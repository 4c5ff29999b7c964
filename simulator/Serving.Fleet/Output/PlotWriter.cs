using ScottPlot;
using Serving.Fleet.Fleet;

namespace Serving.Fleet.Output;

/// <summary>
/// Per scenario and deployment: pods over time under each autoscaler against the offered load
/// (<c>*-pods.png</c>), and the p99 of the sampled windows (<c>*-p99.png</c>, log scale, a window
/// with more than 1% refused or late drawn at 100 ms).
/// </summary>
internal static class PlotWriter
{
    private const int Width = 1200;
    private const int Height = 600;
    private const double FailedMs = 100;

    public static void Write(string directory, IReadOnlyList<Scenario> scenarios, IReadOnlyList<RunResult> runs)
    {
        Directory.CreateDirectory(directory);
        foreach (var scenario in scenarios)
        {
            foreach (var deployment in scenario.Deployments)
            {
                var list = runs.Where(r => r.Scenario == scenario.Name && r.Deployment == deployment.Name).ToList();
                if (list.Count == 0)
                {
                    continue;
                }

                var stem = Path.Combine(directory, $"{scenario.Name}-{deployment.Name}");
                Pods(list, scenario, $"{scenario.Name}: {deployment.Name} pods under each autoscaler", stem + "-pods.png");
                Latency(list, scenario, $"{scenario.Name}: {deployment.Name} p99 of sampled 1-s windows", stem + "-p99.png");
            }
        }
    }

    private static (double Scale, string Unit) TimeAxis(Scenario scenario) => scenario.DurationSeconds > 4 * 3600 ? (3600, "hours") : (60, "minutes");

    private static void Pods(List<RunResult> runs, Scenario scenario, string title, string path)
    {
        using var plot = new Plot();
        var (scale, unit) = TimeAxis(scenario);
        var step = Math.Max(1, scenario.DurationSeconds / 2000);
        var first = runs[0];
        var load = plot.Add.ScatterLine(
            first.Series.Where(p => p.Second % step == 0).Select(p => p.Second / scale).ToArray(),
            first.Series.Where(p => p.Second % step == 0).Select(p => p.OfferedPerSecond / 1000).ToArray());
        load.LegendText = "offered (1,000 req/s, right axis)";
        load.Color = Colors.LightGray;
        load.LineWidth = 3;
        load.Axes.YAxis = plot.Axes.Right;
        foreach (var run in runs)
        {
            var line = plot.Add.ScatterLine(
                run.Series.Where(p => p.Second % step == 0).Select(p => p.Second / scale).ToArray(),
                run.Series.Where(p => p.Second % step == 0).Select(p => (double)p.CurrentPods).ToArray());
            line.LegendText = run.Autoscaler;
            line.LineWidth = 1.5f;
        }

        plot.Title(title);
        plot.XLabel($"time ({unit})");
        plot.YLabel("pods (ready or starting)");
        plot.Axes.Right.Label.Text = "offered load (1,000 req/s)";
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    private static void Latency(List<RunResult> runs, Scenario scenario, string title, string path)
    {
        using var plot = new Plot();
        var (scale, unit) = TimeAxis(scenario);
        foreach (var run in runs)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            foreach (var point in run.Series)
            {
                foreach (var p99 in point.P99AllMs)
                {
                    if (!double.IsNaN(p99))
                    {
                        xs.Add(point.Second / scale);
                        ys.Add(Math.Log10(Math.Clamp(double.IsPositiveInfinity(p99) ? FailedMs : p99, 0.1, FailedMs)));
                    }
                }
            }

            var markers = plot.Add.ScatterPoints(xs.ToArray(), ys.ToArray());
            markers.LegendText = run.Autoscaler;
            markers.MarkerSize = 3;
        }

        var slo = plot.Add.HorizontalLine(Math.Log10(Scenarios.ScenarioCatalog.Slo.TotalMilliseconds));
        slo.LegendText = "SLO (p99)";
        slo.LinePattern = LinePattern.Dashed;
        slo.Color = Colors.Red;
        plot.Title(title);
        plot.XLabel($"time ({unit})");
        plot.YLabel("p99 of all offered requests (ms, log; 100 = over 1% failed)");
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = y => Math.Pow(10, y).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Axes.SetLimitsY(-1, 2.2);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }
}
