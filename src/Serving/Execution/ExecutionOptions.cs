namespace Serving.Execution;

/// <summary>Defaults for the device pools (<c>Serving:Devices</c>); a model's config.json may override them.</summary>
public sealed class DevicesOptions
{
    public CpuPoolOptions Cpu { get; set; } = new();

    public GpuPoolOptions Gpu { get; set; } = new();
}

/// <summary>The CPU session pool of each model version: always present, the fallback for the GPU.</summary>
public sealed class CpuPoolOptions
{
    /// <summary>Session replicas per model version; each runs one batch at a time.</summary>
    public int Replicas { get; set; } = 2;

    /// <summary>ONNX Runtime intra-op threads per session.</summary>
    public int IntraOpThreads { get; set; } = 1;
}

/// <summary>The GPU (CUDA execution provider) session pool of each model version.</summary>
public sealed class GpuPoolOptions
{
    /// <summary>Try to create CUDA sessions; when that fails the server logs why and serves on CPU.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>CUDA device ids to place sessions on.</summary>
    public int[] DeviceIds { get; set; } = [0];

    /// <summary>Session replicas per GPU and model version.</summary>
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
    public int SmallBatchCpuRows { get; set; }

    public GpuResilienceOptions Resilience { get; set; } = new();

    public GpuChaosOptions Chaos { get; set; } = new();
}

/// <summary>The GPU pool's Polly pipeline: timeout per batch, circuit breaker, fallback to CPU.</summary>
public sealed class GpuResilienceOptions
{
    /// <summary>A GPU batch (queue wait included) taking longer than this is abandoned and re-run on CPU.</summary>
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Share of failed GPU batches within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Batches needed in a sampling window before the breaker may open.</summary>
    public int MinimumThroughput { get; set; } = 10;

    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the circuit stays open before a half-open probe batch tries the GPU again.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Fault and latency injection on the GPU pool (Polly chaos strategies); off unless configured.</summary>
public sealed class GpuChaosOptions
{
    /// <summary>Share of GPU batches that fail with an injected fault (0–1).</summary>
    public double FaultRate { get; set; }

    /// <summary>Share of GPU batches delayed by <see cref="Latency"/> (0–1).</summary>
    public double LatencyRate { get; set; }

    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(100);
}
