using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Serving.Batching;
using Serving.Execution;
using Serving.Features;
using Serving.LoadTest.Reporting;
using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>
/// The limit: ONNX Runtime called in a tight loop on the calling thread, with the server's session
/// settings (<see cref="CpuSessionFactory.Create"/> with one intra-op thread) and the server's
/// <see cref="SessionReplica"/> buffers, at batch sizes 1, 2, 4, ... 1024. The input buffers hold
/// real assembled rows: by default one synthetic request of 1,024 candidates (small vocabularies,
/// the same rows every run); with <c>--data</c>, <c>--batches</c> different requests of Criteo rows,
/// a different one loaded (untimed) before each run, as a server's batches differ. The loop times
/// only <see cref="SessionReplica.Run"/>. Pin the process (taskset) to measure one core.
/// </summary>
internal static class RawOrtRunner
{
    public static int Run(RawOrtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (config, version, seconds, maxBatch, output, dataPath, batchCount) = options;

        var spec = ModelConfigLoader.LoadFile(config);
        var modelPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(config))!, version, "model.onnx");
        var session = CpuSessionFactory.Create(modelPath, 1);
        using var replica = new SessionReplica(session, spec, OnnxSignature.Verify(session, spec, modelPath), maxBatch, "cpu");

        var requests = dataPath is null
            ? [SyntheticRequests.Build(spec, maxBatch, seed: 7)]
            : ProbeWorkload.Build(spec, $"fixed:{maxBatch}", dataPath, batchCount, seed: 7);
        var batches = requests.Select(r => FeatureAssembler.Assemble(spec, r, maxBatch)).ToList();
        var next = 0;
        void LoadNext(int rows)
        {
            if (batches.Count > 1 || next == 0)
            {
                replica.Load([new RowSlice(batches[next % batches.Count], 0, rows, Memory<float>.Empty, DateTimeOffset.MaxValue)]);
                next++;
            }
        }

        LoadNext(maxBatch);

        var sizes = options.BatchSizes.Count > 0 ? options.BatchSizes.ToList() : BatchSizes.PowersOfTwo(maxBatch);

        // Warm every shape once (first runs of a shape allocate and plan).
        foreach (var b in sizes)
        {
            for (var i = 0; i < 3; i++)
            {
                LoadNext(b);
                replica.Run(b);
            }
        }

        var c = CultureInfo.InvariantCulture;
        var results = new List<RawOrtBatchSize>();
        var best = (Batch: 0, RowsPerSecond: 0.0);
        Console.WriteLine("batch   runs     rows/s    mean ms    p50 ms    p99 ms");
        foreach (var b in sizes)
        {
            var size = BatchTimer.Measure(replica, LoadNext, b, seconds, options.IdleMs);
            var (rowsPerSecond, mean, p50, p99) = (size.RowsPerSecond, size.MeanMs, size.P50Ms, size.P99Ms);
            Console.WriteLine(string.Create(c, $"{b,5} {size.Runs,6} {rowsPerSecond,10:0} {mean,10:0.000} {p50,9:0.000} {p99,9:0.000}"));
            results.Add(size);
            if (rowsPerSecond > best.RowsPerSecond)
            {
                best = (b, rowsPerSecond);
            }
        }

        Console.WriteLine(string.Create(c, $"raw ONNX Runtime limit: {best.RowsPerSecond:0} rows/s at batch {best.Batch}"));
        var result = new RawOrtResult
        {
            Model = spec.Name,
            Version = version,
            ModelPath = Path.GetRelativePath(RepoPaths.Root, modelPath),
            OnnxRuntimeVersion = OrtEnv.Instance().GetVersionString(),
            IntraOpThreads = 1,
            SecondsPerBatchSize = seconds,
            Data = dataPath is null ? "synthetic, one request" : $"{Path.GetFileName(dataPath)}, {batches.Count} requests rotated",
            ProcessorAffinity = AffinityText(),
            BestBatchRows = best.Batch,
            BestRowsPerSecond = Math.Round(best.RowsPerSecond, 1),
            Sizes = results,
        };
        if (output is not null)
        {
            ReportJson.WriteFile(output, result);
        }

        batches.ForEach(b => b.Dispose());
        return 0;
    }

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
}
