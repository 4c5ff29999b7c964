using Serving.Fleet.Fleet;

namespace Serving.Fleet.Output;

/// <summary>Figures derived from a run for the table: ratios to the baselines and the settling time.</summary>
internal static class RunSummary
{
    /// <summary>
    /// Seconds from the scenario's step until the windows stay within the SLO to the end of the
    /// step's first 10 minutes (0: never left it; null when the scenario has no step or it never settled).
    /// </summary>
    public static double? SettleSeconds(RunResult run, int? stepAtSeconds)
    {
        if (stepAtSeconds is not { } step)
        {
            return null;
        }

        var end = Math.Min(step + 600, run.Series.Count);
        int? lastBad = null;
        for (var t = step; t < end; t++)
        {
            foreach (var p99 in run.Series[t].P99AllMs)
            {
                if (!double.IsNaN(p99) && p99 > Scenarios.ScenarioCatalog.Slo.TotalMilliseconds)
                {
                    lastBad = t;
                }
            }
        }

        return lastBad is { } bad ? (bad + 1 - step >= 600 ? null : bad + 1 - step) : 0;
    }

    /// <summary>Windows below the SLO, all models.</summary>
    public static int ViolatingWindows(RunResult run) => run.Models.Sum(m => m.Windows - m.WindowsWithinSlo);

    /// <summary>The worst model's share of windows within the SLO.</summary>
    public static double WorstWithinSloShare(RunResult run) => run.Models.Min(m => m.WithinSloShare);
}
