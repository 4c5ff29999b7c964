namespace Serving.Batching;

/// <summary>
/// A batch could not be computed on its device: its session failed, or ran past the run timeout
/// and was terminated (UNAVAILABLE: the request may be retried). <see cref="Device"/> says where.
/// </summary>
public sealed class BatchFailedException(string device, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Device { get; } = device;
}
