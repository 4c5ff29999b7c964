using System.Globalization;
using System.Runtime.InteropServices;

namespace Serving.Benchmarks;

/// <summary>The machine and the run's circumstances, for the table's first line: what the numbers were measured on.</summary>
internal sealed record MachineFacts
{
    public string CpuModel { get; init; } = "?";

    public int Cores { get; init; }

    public double? MemoryGiB { get; init; }

    public string Os { get; init; } = "";

    public string DotnetRuntime { get; init; } = "";

    /// <summary>The SDK the script built with (BENCH_DOTNET_SDK), or <c>?</c>.</summary>
    public string DotnetSdk { get; init; } = "?";

    public string OnnxRuntime { get; init; } = "?";

    public string LoadAverageAtStart { get; init; } = "?";

    public string LoadAverageAtEnd { get; init; } = "?";

    /// <summary>The commit the run measured (revision.txt), or <c>?</c>.</summary>
    public string Revision { get; init; } = "?";

    /// <summary>Processes using 20% of a core or more when the run started (busy-start.txt).</summary>
    public string BusyProcessesAtStart { get; init; } = "";

    /// <summary>This machine (/proc) and the run folder's notes; the ONNX Runtime version from raw-ort.json.</summary>
    public static MachineFacts Read(BenchmarkRunFiles files, RawOrtResult? raw)
    {
        ArgumentNullException.ThrowIfNull(files);
        var cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllLines("/proc/cpuinfo") : [];
        var memKb = File.Exists("/proc/meminfo")
            ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]
            : null;

        // Without loadavg-end.txt (a report run by hand), the load average now.
        var end = files.Text("loadavg-end.txt") ?? (File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg") : null);
        return new MachineFacts
        {
            CpuModel = cpuinfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?",
            Cores = cpuinfo.Count(l => l.StartsWith("processor", StringComparison.Ordinal)),
            MemoryGiB = memKb is null ? null : Math.Round(double.Parse(memKb, CultureInfo.InvariantCulture) / 1024 / 1024, 1),
            Os = RuntimeInformation.OSDescription,
            DotnetRuntime = Environment.Version.ToString(),
            DotnetSdk = Environment.GetEnvironmentVariable("BENCH_DOTNET_SDK") ?? "?",
            OnnxRuntime = raw?.OnnxRuntimeVersion ?? "?",
            LoadAverageAtStart = files.Text("loadavg-start.txt")?.Split(' ')[0] ?? "?",
            LoadAverageAtEnd = end?.Split(' ')[0] ?? "?",
            Revision = files.Text("revision.txt")?.Trim() ?? "?",
            BusyProcessesAtStart = files.Text("busy-start.txt")?.Trim() ?? "",
        };
    }
}
