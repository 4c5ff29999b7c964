using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Serving.Execution;
using Serving.Features;
using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>
/// The limit: ONNX Runtime called in a tight loop on the calling thread, with the server's session
/// settings (<see cref="CpuSessionFactory.Create"/> with one intra-op thread) and the server's
/// <see cref="SessionReplica"/> buffers, at batch sizes 1, 2, 4, ... 1024. The input buffers hold
/// real assembled rows (a synthetic request of 1,024 candidates); the loop times only
/// <see cref="SessionReplica.Run"/>, nothing else. Pin the process (taskset) to measure one core.
/// </summary>
public static class RawOrtCommand
{
    public static int Run(string[] args)
    {
        var config = Arg(args, "--config") ?? RepoPaths.DefaultModelConfig;
        var version = Arg(args, "--version") ?? "1";
        var seconds = double.Parse(Arg(args, "--seconds") ?? "1", CultureInfo.InvariantCulture);
        var maxBatch = int.Parse(Arg(args, "--max-batch") ?? "1024", CultureInfo.InvariantCulture);
        var output = Arg(args, "--out");

        var spec = ModelConfigLoader.LoadFile(config);
        var modelPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(config))!, version, "model.onnx");
        var session = CpuSessionFactory.Create(modelPath, 1);
        using var replica = new SessionReplica(session, spec, OnnxSignature.Verify(session, spec, modelPath), maxBatch, "cpu");

        var request = SyntheticRequests.Build(spec, maxBatch, seed: 7);
        using (var rows = FeatureAssembler.Assemble(spec, request, maxBatch))
        {
            replica.Execute([new RowSlice(rows, 0, maxBatch, new float[maxBatch], DateTimeOffset.MaxValue)]);
        }

        var sizes = new List<int>();
        for (var b = 1; b <= maxBatch; b *= 2)
        {
            sizes.Add(b);
        }

        if (sizes[^1] != maxBatch)
        {
            sizes.Add(maxBatch);
        }

        // Warm every shape once (first runs of a shape allocate and plan).
        foreach (var b in sizes)
        {
            for (var i = 0; i < 3; i++)
            {
                replica.Run(b);
            }
        }

        var c = CultureInfo.InvariantCulture;
        var results = new JsonArray();
        var best = (Batch: 0, RowsPerSecond: 0.0);
        Console.WriteLine("batch   runs     rows/s    mean ms    p50 ms    p99 ms");
        foreach (var b in sizes)
        {
            Warm(replica, b, TimeSpan.FromSeconds(Math.Min(0.2, seconds / 4)));
            var durations = new List<double>(4096);
            var window = Stopwatch.StartNew();
            var limit = TimeSpan.FromSeconds(seconds);
            while (window.Elapsed < limit)
            {
                var start = Stopwatch.GetTimestamp();
                replica.Run(b);
                durations.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            var elapsed = window.Elapsed.TotalSeconds;
            var rowsPerSecond = durations.Count * (double)b / elapsed;
            durations.Sort();
            var mean = durations.Average();
            var p50 = Percentile(durations, 0.50);
            var p99 = Percentile(durations, 0.99);
            Console.WriteLine(string.Create(c, $"{b,5} {durations.Count,6} {rowsPerSecond,10:0} {mean,10:0.000} {p50,9:0.000} {p99,9:0.000}"));
            results.Add(new JsonObject
            {
                ["batchRows"] = b,
                ["runs"] = durations.Count,
                ["rowsPerSecond"] = Math.Round(rowsPerSecond, 1),
                ["meanMs"] = Math.Round(mean, 4),
                ["p50Ms"] = Math.Round(p50, 4),
                ["p99Ms"] = Math.Round(p99, 4),
            });
            if (rowsPerSecond > best.RowsPerSecond)
            {
                best = (b, rowsPerSecond);
            }
        }

        Console.WriteLine(string.Create(c, $"raw ONNX Runtime limit: {best.RowsPerSecond:0} rows/s at batch {best.Batch}"));
        var doc = new JsonObject
        {
            ["model"] = spec.Name,
            ["version"] = version,
            ["modelPath"] = Path.GetRelativePath(RepoPaths.Root, modelPath),
            ["onnxRuntimeVersion"] = OrtEnv.Instance().GetVersionString(),
            ["intraOpThreads"] = 1,
            ["secondsPerBatchSize"] = seconds,
            ["processorAffinity"] = AffinityText(),
            ["bestBatchRows"] = best.Batch,
            ["bestRowsPerSecond"] = Math.Round(best.RowsPerSecond, 1),
            ["sizes"] = results,
        };
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            File.WriteAllText(output, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        return 0;
    }

    private static void Warm(SessionReplica replica, int rows, TimeSpan time)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < time)
        {
            replica.Run(rows);
        }
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string AffinityText()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
        {
            return "?";
        }

        try
        {
            var mask = (long)Process.GetCurrentProcess().ProcessorAffinity;
            var cores = Enumerable.Range(0, 64).Where(i => (mask & (1L << i)) != 0);
            return string.Join(",", cores);
        }
        catch (PlatformNotSupportedException)
        {
            return "?";
        }
    }

    internal static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
