namespace Serving.Execution;

/// <summary>How long a device pool lets one run, and its own stop, take.</summary>
/// <param name="RunTimeout">A run taking longer is terminated (ONNX Runtime's terminate flag) and its batch fails.</param>
/// <param name="StopTimeout">How long stopping waits for running batches before terminating them, and again before giving up on them.</param>
public sealed record DevicePoolLimits(TimeSpan RunTimeout, TimeSpan StopTimeout)
{
    public static DevicePoolLimits Default { get; } = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5));
}
