namespace Serving.Benchmarks;

/// <summary>gpu-check.json: CUDA-vs-CPU score parity and raw ONNX Runtime rows/s by batch size, per shipped model.</summary>
internal sealed record GpuCheckReport
{
    /// <summary>"cuda:0", or "cpu (stand-in)" for a run that compared CPU with CPU (checks the tool, not a GPU).</summary>
    public string Candidate { get; init; } = "";

    public string OnnxRuntimeVersion { get; init; } = "";

    public string Machine { get; init; } = "";

    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The largest allowed |candidate - CPU| per score.</summary>
    public double Tolerance { get; init; }

    public double SecondsPerBatchSize { get; init; }

    public IReadOnlyList<GpuModelResult> Models { get; init; } = [];

    public bool Passed => Models.All(m => m.Parity.Passed);
}

/// <summary>One model: its parity and the candidate's rows/s by batch size, beside one CPU thread's (when measured).</summary>
internal sealed record GpuModelResult(
    string Model,
    string Version,
    ParityResult Parity,
    IReadOnlyList<RawOrtBatchSize> CandidateSizes,
    IReadOnlyList<RawOrtBatchSize> CpuSizes);
