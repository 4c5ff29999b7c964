namespace Serving.Execution;

/// <summary>Defaults for the device pools (<c>Serving:Devices</c>); a model's config.json may override them.</summary>
public sealed class DevicesOptions
{
    public CpuPoolOptions Cpu { get; set; } = new();
}

/// <summary>The CPU session pool of each model version.</summary>
public sealed class CpuPoolOptions
{
    /// <summary>Session replicas per model version; each runs one batch at a time.</summary>
    public int Replicas { get; set; } = 2;

    /// <summary>ONNX Runtime intra-op threads per session.</summary>
    public int IntraOpThreads { get; set; } = 1;
}
