namespace Serving.Execution;

/// <summary>
/// The process-wide outcome of trying CUDA: the first failure (for example missing CUDA 13
/// libraries) is remembered, so the server warns once and every model serves on CPU.
/// </summary>
public sealed class GpuAvailability
{
    private string? _failure;

    /// <summary>Why CUDA sessions cannot be created here; null while none has failed.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Records the failure; true the first time (the caller logs it).</summary>
    public bool RecordFailure(string reason) => Interlocked.CompareExchange(ref _failure, reason, null) is null;
}
