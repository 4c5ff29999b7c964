using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Serving.Models;

namespace Serving.Execution;

/// <summary>The device pools of each model version (<c>Serving:Devices</c> gives the defaults; a model's config.json <c>devices</c> section overrides them).</summary>
public sealed class DevicesOptions
{
    public const string SectionName = "Serving:Devices";

    [ValidateObjectMembers]
    public CpuPoolOptions Cpu { get; set; } = new();

    [ValidateObjectMembers]
    public GpuPoolOptions Gpu { get; set; } = new();

    /// <summary>A session run taking longer is terminated and its batch fails (UNAVAILABLE; on the GPU, re-run on CPU): a hung run never holds a request or a replica for ever.</summary>
    [SettingRange(SectionName, "00:00:00.010", "01:00:00")]
    public TimeSpan RunTimeout { get; set; } = DevicePoolLimits.Default.RunTimeout;

    /// <summary>On shutdown, how long a pool waits for running batches before terminating them (and again before giving up on them).</summary>
    [SettingRange(SectionName, "00:00:00", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = DevicePoolLimits.Default.StopTimeout;

    /// <summary>The run and stop timeouts as a pool takes them.</summary>
    public DevicePoolLimits Limits => new(RunTimeout, StopTimeout);

    /// <summary>
    /// These defaults with a model's config.json <c>devices</c> section applied, validated: a bad
    /// value is a <see cref="ModelConfigException"/> naming <paramref name="configPath"/> and every problem.
    /// The GPU's resilience and chaos settings stay shared with the defaults (chaos rates are read live).
    /// </summary>
    public DevicesOptions WithOverrides(DevicesDocument? model, string configPath)
    {
        var cpu = Cpu.Clone();
        var gpu = Gpu.Clone();
        cpu.Replicas = model?.Cpu?.Replicas ?? Cpu.Replicas;
        cpu.IntraOpThreads = model?.Cpu?.IntraOpThreads ?? Cpu.IntraOpThreads;
        gpu.Enabled = model?.Gpu?.Enabled ?? Gpu.Enabled;
        gpu.ReplicasPerDevice = model?.Gpu?.ReplicasPerDevice ?? Gpu.ReplicasPerDevice;
        var merged = new DevicesOptions { Cpu = cpu, Gpu = gpu, RunTimeout = RunTimeout, StopTimeout = StopTimeout };
        var result = new DevicesOptionsValidator().Validate(null, merged);
        return result.Failed
            ? throw new ModelConfigException(configPath, $"'devices', merged over the server's settings: {string.Join("; ", result.Failures)}")
            : merged;
    }
}

/// <summary>Checks <see cref="DevicesOptions"/> (generated from its annotations; reports every problem at once).</summary>
[OptionsValidator]
public sealed partial class DevicesOptionsValidator : IValidateOptions<DevicesOptions>;

/// <summary>The CPU session pool of each model version: always present, the fallback for the GPU.</summary>
public sealed class CpuPoolOptions
{
    /// <summary>Session replicas per model version; each runs one batch at a time.</summary>
    [SettingRange(DevicesOptions.SectionName, 1, 256)]
    public int Replicas { get; set; } = 2;

    /// <summary>ONNX Runtime intra-op threads per session.</summary>
    [SettingRange(DevicesOptions.SectionName, 1, 256)]
    public int IntraOpThreads { get; set; } = 1;

    internal CpuPoolOptions Clone() => (CpuPoolOptions)MemberwiseClone();
}

/// <summary>The GPU (CUDA execution provider) session pool of each model version.</summary>
public sealed class GpuPoolOptions
{
    /// <summary>Try to create CUDA sessions; when that fails the server logs why and serves on CPU.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>CUDA device ids to place sessions on.</summary>
    [MinLength(1)]
    public int[] DeviceIds { get; set; } = [0];

    /// <summary>Session replicas per GPU and model version.</summary>
    [SettingRange(DevicesOptions.SectionName, 1, 256)]
    public int ReplicasPerDevice { get; set; } = 2;

    /// <summary>cuDNN convolution algorithm search: EXHAUSTIVE, HEURISTIC or DEFAULT.</summary>
    public string CudnnConvAlgoSearch { get; set; } = "HEURISTIC";

    /// <summary>CUDA memory arena growth: kNextPowerOfTwo or kSameAsRequested.</summary>
    public string ArenaExtendStrategy { get; set; } = "kNextPowerOfTwo";

    /// <summary>Cap on the CUDA arena per session in bytes; 0 leaves ONNX Runtime's default (no cap).</summary>
    public long MemoryLimitBytes { get; set; }

    /// <summary>
    /// For tests on machines without a GPU: build the accelerator pool from CPU sessions, behind
    /// the same router, breaker and chaos strategies as a real GPU pool.
    /// </summary>
    public bool StandIn { get; set; }

    /// <summary>Batches of at most this many rows go to the CPU while a CPU replica is free; 0 decides from the measured cost models.</summary>
    [SettingRange(DevicesOptions.SectionName, 0, int.MaxValue)]
    public int SmallBatchCpuRows { get; set; }

    [ValidateObjectMembers]
    public GpuResilienceOptions Resilience { get; set; } = new();

    [ValidateObjectMembers]
    public GpuChaosOptions Chaos { get; set; } = new();

    internal GpuPoolOptions Clone() => (GpuPoolOptions)MemberwiseClone();
}

/// <summary>The GPU pool's Polly pipeline: timeout per batch, circuit breaker, fallback to CPU.</summary>
public sealed class GpuResilienceOptions
{
    /// <summary>A GPU batch (queue wait included) taking longer than this, or than its budget less the predicted CPU re-run, is abandoned and re-run on CPU.</summary>
    [SettingRange(DevicesOptions.SectionName, "00:00:00.010", "1.00:00:00")]
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Share of failed GPU batches within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    [SettingRange(DevicesOptions.SectionName, 0.001, 1.0)]
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Batches needed in a sampling window before the breaker may open.</summary>
    [SettingRange(DevicesOptions.SectionName, 2, int.MaxValue)]
    public int MinimumThroughput { get; set; } = 10;

    [SettingRange(DevicesOptions.SectionName, "00:00:00.500", "1.00:00:00")]
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the circuit stays open before a half-open probe batch tries the GPU again.</summary>
    [SettingRange(DevicesOptions.SectionName, "00:00:00.500", "1.00:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Fault and latency injection on the GPU pool (Polly chaos strategies); off unless configured.</summary>
public sealed class GpuChaosOptions
{
    /// <summary>Share of GPU batches that fail with an injected fault (0–1).</summary>
    [SettingRange(DevicesOptions.SectionName, 0.0, 1.0)]
    public double FaultRate { get; set; }

    /// <summary>Share of GPU batches delayed by <see cref="Latency"/> (0–1).</summary>
    [SettingRange(DevicesOptions.SectionName, 0.0, 1.0)]
    public double LatencyRate { get; set; }

    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(100);
}
