using System.Globalization;
using System.Text;
using System.Text.Json;
using Serving.Fleet.Fleet;

namespace Serving.Fleet.Output;

/// <summary>
/// Writes a set of runs: <c>summary.md</c> (the tables of docs/fleet.md), <c>results.json</c>
/// (every figure), <c>series/*.csv</c> (per second) and the plots. Everything is formatted with the
/// invariant culture and fixed decimals, so the same seed gives byte-identical files.
/// </summary>
internal static class ReportWriter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(string directory, int seed, IReadOnlyList<Scenario> scenarios, IReadOnlyList<RunResult> runs, bool plots)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "summary.md"), Summary(seed, scenarios, runs));
        File.WriteAllText(Path.Combine(directory, "results.json"), Json(seed, runs));
        var seriesDirectory = Path.Combine(directory, "series");
        Directory.CreateDirectory(seriesDirectory);
        foreach (var run in runs)
        {
            File.WriteAllText(Path.Combine(seriesDirectory, $"{run.Scenario}-{run.Deployment}-{run.Autoscaler}.csv"), Series(run));
        }

        if (plots)
        {
            PlotWriter.Write(Path.Combine(directory, "plots"), scenarios, runs);
        }
    }

    private static string F(double value, int decimals) =>
        double.IsNaN(value) ? "" : double.IsPositiveInfinity(value) ? "inf" : value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string P(double share) => (share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    public static string Summary(int seed, IReadOnlyList<Scenario> scenarios, IReadOnlyList<RunResult> runs)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"# Fleet simulation, seed {seed}\n\n");
        foreach (var scenario in scenarios)
        {
            text.Append(CultureInfo.InvariantCulture, $"## {scenario.Name}\n\n{scenario.Description}. Detail: one pod simulated for 1 s every {scenario.DetailEverySeconds} s.\n\n");
            foreach (var group in ByArrangement(scenario, runs))
            {
                if (group.Key != "")
                {
                    text.Append(CultureInfo.InvariantCulture, $"### {group.Key}\n\n");
                }

                var list = group.Value;
                var staticHours = list.FirstOrDefault(r => r.Autoscaler == "static-peak")?.PodHours;
                var hpaHours = list.FirstOrDefault(r => r.Autoscaler == "hpa-cpu")?.PodHours;
                text.Append("| autoscaler | pod-hours | device-hours | × static peak | × HPA CPU | 1-s windows within SLO (worst model) | violating windows | goodput req/s | refused or late | scale events | settled after step (s) |\n");
                text.Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
                foreach (var run in list)
                {
                    var settle = RunSummary.SettleSeconds(run, scenario.StepAtSeconds);
                    text.Append(CultureInfo.InvariantCulture, $"| {run.Autoscaler} | {F(run.PodHours, 1)} | {F(run.DeviceHours, 1)} {run.DeviceKind} | {(staticHours is { } s ? F(run.PodHours / s, 2) : "")} | {(hpaHours is { } h ? F(run.PodHours / h, 2) : "")} | {P(RunSummary.WorstWithinSloShare(run))} | {RunSummary.ViolatingWindows(run)} | {F(run.GoodputPerSecond, 0)} | {P(run.Models.Sum(m => m.FailedRequests) / Math.Max(run.Models.Sum(m => m.OfferedRequests), 1))} | {run.ScaleEvents} | {(scenario.StepAtSeconds is null ? "–" : settle is { } x ? F(x, 0) : "> 600")} |\n");
                }

                text.Append('\n');
            }
        }

        return text.ToString();
    }

    /// <summary>Runs of a scenario by arrangement: each deployment alone, or (several deployments) the separate ones summed against the shared one.</summary>
    private static Dictionary<string, List<RunResult>> ByArrangement(Scenario scenario, IReadOnlyList<RunResult> runs)
    {
        var mine = runs.Where(r => r.Scenario == scenario.Name).ToList();
        var groups = new Dictionary<string, List<RunResult>>(StringComparer.Ordinal);
        if (scenario.Deployments.Count == 1)
        {
            groups[""] = mine;
            return groups;
        }

        var separate = scenario.Deployments.Where(d => d.Models.Count == 1).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        groups["one deployment per model (sums)"] = [.. mine.Where(r => separate.Contains(r.Deployment)).GroupBy(r => r.Autoscaler).Select(Sum)];
        foreach (var shared in scenario.Deployments.Where(d => d.Models.Count > 1))
        {
            groups[$"one deployment, every pod serves {string.Join(" and ", shared.Models.Select(m => m.Model.Name))}"] = [.. mine.Where(r => r.Deployment == shared.Name)];
        }

        return groups;
    }

    private static RunResult Sum(IGrouping<string, RunResult> runs)
    {
        var first = runs.First();
        return first with
        {
            Deployment = "separate",
            PodHours = runs.Sum(r => r.PodHours),
            DeviceHours = runs.Sum(r => r.DeviceHours),
            ScaleEvents = runs.Sum(r => r.ScaleEvents),
            Models = [.. runs.SelectMany(r => r.Models)],
            Series = [.. first.Series.Select((p, t) => p with
            {
                CurrentPods = runs.Sum(r => r.Series[t].CurrentPods),
                ReadyPods = runs.Sum(r => r.Series[t].ReadyPods),
                OfferedPerSecond = runs.Sum(r => r.Series[t].OfferedPerSecond),
                P99AllMs = [.. runs.SelectMany(r => r.Series[t].P99AllMs)],
            })],
        };
    }

    private static string Json(int seed, IReadOnlyList<RunResult> runs)
    {
        var document = new
        {
            seed,
            runs = runs.Select(r => new
            {
                scenario = r.Scenario,
                deployment = r.Deployment,
                autoscaler = r.Autoscaler,
                podHours = Math.Round(r.PodHours, 4),
                deviceHours = Math.Round(r.DeviceHours, 4),
                deviceKind = r.DeviceKind,
                scaleEvents = r.ScaleEvents,
                goodputPerSecond = Math.Round(r.GoodputPerSecond, 2),
                models = r.Models.Select(m => new
                {
                    model = m.Model,
                    windows = m.Windows,
                    windowsWithinSlo = m.WindowsWithinSlo,
                    withinSloShare = Math.Round(m.WithinSloShare, 5),
                    offeredRequests = Math.Round(m.OfferedRequests, 0),
                    goodputShare = Math.Round(m.GoodputShare, 5),
                    failedShare = Math.Round(m.FailedShare, 5),
                }),
            }),
        };
        return JsonSerializer.Serialize(document, Indented) + "\n";
    }

    private static string Series(RunResult run)
    {
        var text = new StringBuilder("second,offeredPerSecond,currentPods,readyPods");
        foreach (var model in run.Models)
        {
            text.Append(CultureInfo.InvariantCulture, $",p99AllMs_{model.Model}");
        }

        text.Append('\n');
        foreach (var point in run.Series)
        {
            text.Append(CultureInfo.InvariantCulture, $"{point.Second},{F(point.OfferedPerSecond, 1)},{point.CurrentPods},{point.ReadyPods}");
            foreach (var p99 in point.P99AllMs)
            {
                text.Append(',').Append(F(p99, 3));
            }

            text.Append('\n');
        }

        return text.ToString();
    }
}
