using System.Globalization;
using System.Text;
using Serving.LoadTest.Reporting;

namespace Serving.Benchmarks;

/// <summary>Writes gpu-check.json (the whole report) and gpu-check.md (a table per model) into a folder.</summary>
internal static class GpuCheckReportWriter
{
    public const string JsonFile = "gpu-check.json";
    public const string MarkdownFile = "gpu-check.md";

    public static void Write(string directory, GpuCheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        ReportJson.WriteFile(Path.Combine(directory, JsonFile), report);
        File.WriteAllText(Path.Combine(directory, MarkdownFile), Markdown(report));
    }

    public static string Markdown(GpuCheckReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"# GPU check: {report.Candidate} against CPU");
        md.AppendLine();
        md.AppendLine(c, $"ONNX Runtime {report.OnnxRuntimeVersion}, {report.Machine}, started {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC; {report.SecondsPerBatchSize:0.###} s of ONNX Runtime time per batch size, one session, one calling thread.");
        md.AppendLine();
        md.AppendLine("## Score parity");
        md.AppendLine();
        md.AppendLine("| model | version | rows | max abs difference | worst row | tolerance | result |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---|");
        foreach (var m in report.Models)
        {
            var p = m.Parity;
            md.AppendLine(c, $"| {m.Model} | {m.Version} | {p.Rows} | {p.MaxAbsDifference:0.###e+0} | {p.WorstRow} | {p.Tolerance:0.###e+0} | {(p.Passed ? "pass" : "FAIL")} |");
        }

        foreach (var m in report.Models)
        {
            md.AppendLine();
            md.AppendLine(c, $"## {m.Model} rows/s by batch size");
            md.AppendLine();
            md.AppendLine(c, $"| batch rows | {report.Candidate} rows/s | p50 ms | p99 ms | CPU (1 thread) rows/s | CPU p50 ms | candidate ÷ CPU |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var size in m.CandidateSizes)
            {
                var cpu = m.CpuSizes.FirstOrDefault(s => s.BatchRows == size.BatchRows);
                var cpuRate = cpu is null ? "–" : cpu.RowsPerSecond.ToString("0", c);
                var cpuP50 = cpu is null ? "–" : cpu.P50Ms.ToString("0.000", c);
                var ratio = cpu is null || cpu.RowsPerSecond <= 0 ? "–" : (size.RowsPerSecond / cpu.RowsPerSecond).ToString("0.00", c);
                md.AppendLine(c, $"| {size.BatchRows} | {size.RowsPerSecond:0} | {size.P50Ms:0.000} | {size.P99Ms:0.000} | {cpuRate} | {cpuP50} | {ratio} |");
            }
        }

        md.AppendLine();
        md.AppendLine(report.Passed ? "All models: scores within the tolerance." : "**Parity FAILED** for at least one model: do not serve it on this GPU.");
        return md.ToString();
    }
}
