namespace Serving.Execution;

/// <summary>Why a batch ran on CPU instead of the GPU (the <c>reason</c> label of <c>serving_fallbacks_total</c>).</summary>
public static class FallbackReasons
{
    public const string CircuitOpen = "circuit_open";
    public const string Timeout = "timeout";
    public const string Fault = "fault";
    public const string GpuBusy = "gpu_busy";
}
