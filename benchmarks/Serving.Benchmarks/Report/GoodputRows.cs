using Serving.LoadTest.Goodput;
using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>The goodput table's rows: every mode on every workload, with the step run at its goodput rate.</summary>
internal static class GoodputRows
{
    /// <summary>By id, workloads outer, modes inner; a missing search gives a row of nulls.</summary>
    public static IReadOnlyDictionary<string, GoodputRow> Build(
        BenchmarkRunFiles files, IReadOnlyDictionary<string, GoodputResult?> searches, double? rawRowsPerSecond)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(searches);
        var rows = new Dictionary<string, GoodputRow>(StringComparer.Ordinal);
        foreach (var (key, title) in BenchmarkGrid.Workloads)
        {
            foreach (var mode in BenchmarkGrid.Modes)
            {
                var id = BenchmarkGrid.Id(mode, key);
                var result = searches[id];
                var atGoodput = AtGoodput(files, id, result);
                rows[id] = new GoodputRow
                {
                    P50MsAtGoodput = atGoodput?.LatencyMs.P50,
                    SendLagP50Ms = atGoodput?.SendLagMs.P50,
                    SendLagP99Ms = atGoodput?.SendLagMs.P99,
                    Mode = mode,
                    Workload = title,
                    GoodputRate = result?.GoodputRate,
                    AchievedRate = result?.AchievedRate,
                    RowsPerSecond = result?.RowsPerSecond,
                    P99Ms = result?.P99Ms,
                    FirstFailingRate = result?.FirstFailingRate,
                    HitMaxRate = result?.HitMaxRate,
                    Steps = result?.Steps.Count,
                    RatioToRawOrt = Ratio(result?.RowsPerSecond, rawRowsPerSecond),
                };
            }
        }

        return rows;
    }

    /// <summary>The load generator's summary of the passing step at the goodput rate.</summary>
    private static Serving.LoadTest.Reporting.RunSummary? AtGoodput(BenchmarkRunFiles files, string id, GoodputResult? result)
    {
        var step = result?.Steps.FirstOrDefault(s => s.OfferedRate == result.GoodputRate && s.Passed);
        return step is null ? null : files.GoodputStep(id, step.Index);
    }
}
