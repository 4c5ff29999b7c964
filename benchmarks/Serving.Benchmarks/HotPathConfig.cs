using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Perfolizer.Horology;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Serving.Benchmarks;

/// <summary>
/// A short in-process job (no per-benchmark child build, so the whole class runs in about a
/// minute), plus per-candidate time and allocation columns and a JSON export for the report.
/// </summary>
public sealed class HotPathConfig : ManualConfig
{
    public HotPathConfig()
    {
        AddJob(Job.ShortRun
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithIterationTime(TimeInterval.FromMilliseconds(250))
            .WithId("short-inprocess"));
        AddColumn(new PerCandidateColumn(PerCandidateColumn.Kind.Time));
        AddColumn(new PerCandidateColumn(PerCandidateColumn.Kind.Bytes));
        AddColumn(new PerCandidateColumn(PerCandidateColumn.Kind.MarginalBytes));
        AddExporter(JsonExporter.Full);
        WithOptions(ConfigOptions.DisableLogFile);
    }
}

/// <summary>Time or allocated bytes divided by the benchmark's <c>Candidates</c> parameter.</summary>
public sealed class PerCandidateColumn(PerCandidateColumn.Kind kind) : IColumn
{
    public enum Kind
    {
        Time,
        Bytes,
        MarginalBytes,
    }

    public string Id => "PerCandidate" + kind;

    public string ColumnName => kind switch
    {
        Kind.Time => "ns/candidate",
        Kind.Bytes => "B/candidate",
        _ => "B/extra candidate",
    };

    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)kind;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind switch
    {
        Kind.Time => "Mean time per request divided by the candidates in it",
        Kind.Bytes => "Bytes allocated per request divided by the candidates in it",
        _ => "Slope of bytes allocated per request between the smallest and largest request: the allocation one more candidate adds",
    };

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var c = CultureInfo.InvariantCulture;
        var candidates = Candidates(benchmarkCase);
        var report = summary[benchmarkCase];
        if (candidates is null || report is null)
        {
            return "-";
        }

        switch (kind)
        {
            case Kind.Time:
                return report.ResultStatistics is { } stats ? (stats.Mean / candidates.Value).ToString("0.0", c) : "-";
            case Kind.Bytes:
                return Bytes(report, benchmarkCase) is { } b ? ((double)b / candidates.Value).ToString("0.0", c) : "-";
            default:
                var same = summary.BenchmarksCases
                    .Where(x => x.Descriptor == benchmarkCase.Descriptor && Candidates(x) is not null && summary[x] is not null)
                    .OrderBy(x => Candidates(x))
                    .ToList();
                if (same.Count < 2)
                {
                    return "-";
                }

                var (low, high) = (same[0], same[^1]);
                var (bl, bh) = (Bytes(summary[low]!, low), Bytes(summary[high]!, high));
                if (bl is null || bh is null)
                {
                    return "-";
                }

                return ((double)(bh.Value - bl.Value) / (Candidates(high)!.Value - Candidates(low)!.Value)).ToString("0.0", c);
        }
    }

    private static int? Candidates(BenchmarkCase benchmarkCase) =>
        benchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "Candidates")?.Value is int n && n > 0 ? n : null;

    private static long? Bytes(BenchmarkReport report, BenchmarkCase benchmarkCase) =>
        report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase);

    public override string ToString() => ColumnName;
}
