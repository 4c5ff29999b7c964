using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Serving.Batching;
using Serving.Execution;
using Serving.Features;

namespace Serving.Benchmarks;

/// <summary>
/// For every model of the repository: one CPU session (one intra-op thread, the server's settings)
/// and one CUDA session (<see cref="GpuSessionFactory"/>, the server's settings) score the same
/// synthetic rows (<see cref="ScoreParity"/>), then each is timed at every batch size
/// (<see cref="BatchTimer"/>, the rows copied from host memory as the server's replicas do). On a
/// host without a usable GPU it refuses before loading anything.
/// </summary>
internal static class GpuCheckRunner
{
    /// <summary>The exit code when the host has no usable GPU (no device, no CUDA libraries, or CUDA sessions fail).</summary>
    public const int NoGpuExitCode = 3;

    public static int Run(GpuCheckOptions options, GpuHostProbe probe, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!options.StandIn && probe.MissingRequirement() is { } reason)
        {
            error.WriteLine($"gpu-check: refusing to run: {reason}. Run it on a host with an NVIDIA GPU, the CUDA 13 and cuDNN 9 libraries (docs/gpu.md), or pass --stand-in to check the tool with CPU sessions.");
            return NoGpuExitCode;
        }

        var models = ShippedModels.Find(options.ModelRepository);
        if (models.Count == 0)
        {
            throw new ArgumentException($"no models (folders with config.json and a version with model.onnx) in {options.ModelRepository}");
        }

        var started = DateTimeOffset.UtcNow;
        var candidate = options.StandIn ? "cpu (stand-in)" : $"cuda:{options.DeviceId}";
        var results = new List<GpuModelResult>();
        foreach (var model in models)
        {
            try
            {
                results.Add(CheckModel(model, options, candidate, output));
            }
            catch (OnnxRuntimeException ex) when (!options.StandIn)
            {
                error.WriteLine($"gpu-check: refusing to run: CUDA sessions cannot be created for {model.Name}: {ex.Message}");
                return NoGpuExitCode;
            }
        }

        var report = new GpuCheckReport
        {
            Candidate = candidate,
            OnnxRuntimeVersion = OrtEnv.Instance().GetVersionString(),
            Machine = $"{Environment.MachineName}, {Environment.ProcessorCount} cores",
            StartedAt = started,
            Tolerance = options.Tolerance,
            SecondsPerBatchSize = options.SecondsPerBatchSize,
            Models = results,
        };
        GpuCheckReportWriter.Write(options.OutputDirectory, report);
        output.WriteLine($"wrote {Path.Combine(options.OutputDirectory, GpuCheckReportWriter.JsonFile)} and {GpuCheckReportWriter.MarkdownFile}");
        if (!report.Passed)
        {
            error.WriteLine($"gpu-check: parity FAILED for {string.Join(", ", results.Where(r => !r.Parity.Passed).Select(r => r.Model))}");
        }

        return report.Passed ? 0 : 1;
    }

    private static GpuModelResult CheckModel(ShippedModel model, GpuCheckOptions options, string candidateName, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        var maxRows = Math.Max(options.BatchSizes.Max(), options.ParityRows);
        using var cpu = Replica(model, CpuSessionFactory.Create(model.ModelPath, 1), maxRows, "cpu");
        using var candidate = Replica(
            model,
            options.StandIn ? CpuSessionFactory.Create(model.ModelPath, 1) : GpuSessionFactory.Create(model.ModelPath, options.DeviceId, new GpuPoolOptions()),
            maxRows,
            options.StandIn ? "cpu" : "gpu");

        var parity = ScoreParity.Compare(model.Spec, cpu, candidate, options.ParityRows, options.Tolerance);
        output.WriteLine(string.Create(c, $"{model.Name} v{model.Version}: {parity.Rows} rows, max |{candidateName} - cpu| {parity.MaxAbsDifference:0.###e+0} at row {parity.WorstRow}: {(parity.Passed ? "pass" : "FAIL")}"));
        if (options.SecondsPerBatchSize <= 0)
        {
            return new GpuModelResult(model.Name, model.Version, parity, [], []);
        }

        using var rows = FeatureAssembler.Assemble(model.Spec, SyntheticRequests.Build(model.Spec, maxRows, seed: 7), maxRows);
        var candidateSizes = Sweep(candidate, rows, options, $"{model.Name} {candidateName}", output);
        var cpuSizes = options.CpuBaseline ? Sweep(cpu, rows, options, $"{model.Name} cpu", output) : [];
        return new GpuModelResult(model.Name, model.Version, parity, candidateSizes, cpuSizes);
    }

    private static SessionReplica Replica(ShippedModel model, InferenceSession session, int maxRows, string device)
    {
        try
        {
            return new SessionReplica(session, model.Spec, OnnxSignature.Verify(session, model.Spec, model.ModelPath), maxRows, device);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static List<RawOrtBatchSize> Sweep(SessionReplica replica, FeatureRows rows, GpuCheckOptions options, string label, TextWriter output)
    {
        var c = CultureInfo.InvariantCulture;
        // Loaded once: every run reads (and, on a GPU, copies to the device) the first batchRows of them.
        replica.Load([new RowSlice(rows, 0, rows.Rows, Memory<float>.Empty, DateTimeOffset.MaxValue)]);

        var sizes = new List<RawOrtBatchSize>();
        foreach (var batchRows in options.BatchSizes)
        {
            replica.Run(batchRows); // the first run of a shape allocates and plans
            var size = BatchTimer.Measure(replica, _ => { }, batchRows, options.SecondsPerBatchSize);
            sizes.Add(size);
            output.WriteLine(string.Create(c, $"{label}: batch {size.BatchRows,5}: {size.RowsPerSecond,10:0} rows/s, p50 {size.P50Ms:0.000} ms, p99 {size.P99Ms:0.000} ms"));
        }

        return sizes;
    }
}
