using System.Globalization;
using Serving.LoadTest.Reporting;

namespace Serving.Benchmarks;

/// <summary>One hot-path benchmark case: a step (Parse, Assemble, Respond, ...) at one request size.</summary>
internal sealed record MicroCase(
    string? Method, int Candidates, double? MeanNs, double? NsPerCandidate, double? BytesPerRequest, double? BytesPerCandidate);

/// <summary>The hot-path microbenchmarks (BenchmarkDotNet's full JSON report) and what the report derives from them.</summary>
internal static class MicroBenchmarks
{
    /// <summary>The cases of the report, in its order; null when the run has none.</summary>
    public static IReadOnlyList<MicroCase>? Load(BenchmarkRunFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.MicroReportPath() is not { } path)
        {
            return null;
        }

        var report = ReportJson.Deserialize<BdnReport>(File.ReadAllText(path));
        return [.. (report.Benchmarks ?? []).Select(b =>
        {
            // Parameters read "Candidates=100".
            var candidates = int.Parse((b.Parameters ?? "").Split('=')[^1], CultureInfo.InvariantCulture);
            var mean = b.Statistics?.Mean;
            var bytes = b.Memory?.BytesAllocatedPerOperation;
            return new MicroCase(b.Method, candidates, mean, mean / candidates, bytes, bytes / candidates);
        })];
    }

    /// <summary>µs per request of a hot-path step for requests of <paramref name="candidates"/> rows, from the nearest measured size.</summary>
    public static double? PerRequest(IReadOnlyList<MicroCase>? cases, string method, double candidates, bool perCandidate = true)
    {
        if (cases is null || candidates <= 0)
        {
            return null;
        }

        var nearest = cases.Where(m => m.Method == method)
            .OrderBy(m => Math.Abs(Math.Log(m.Candidates / candidates)))
            .FirstOrDefault();
        if (nearest is null)
        {
            return null;
        }

        return perCandidate ? nearest.NsPerCandidate * candidates / 1000 : nearest.MeanNs / 1000;
    }

    /// <summary>Bytes allocated per extra candidate: the slope between the smallest and the largest request.</summary>
    public static double? Marginal(IReadOnlyList<MicroCase>? cases, string method)
    {
        if (cases is null)
        {
            return null;
        }

        var same = cases.Where(m => m.Method == method).OrderBy(m => m.Candidates).ToList();
        if (same.Count < 2)
        {
            return null;
        }

        var (lo, hi) = (same[0], same[^1]);
        return (hi.BytesPerRequest - lo.BytesPerRequest) / (hi.Candidates - lo.Candidates);
    }

    /// <summary>The part of BenchmarkDotNet's JSON report the table uses.</summary>
    private sealed record BdnReport(IReadOnlyList<BdnBenchmark>? Benchmarks);

    private sealed record BdnBenchmark(string? Method, string? Parameters, BdnStatistics? Statistics, BdnMemory? Memory);

    private sealed record BdnStatistics(double? Mean);

    private sealed record BdnMemory(double? BytesAllocatedPerOperation);
}
