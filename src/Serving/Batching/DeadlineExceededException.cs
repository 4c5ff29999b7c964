namespace Serving.Batching;

/// <summary>
/// The request's deadline passed, or would pass, before its rows could be scored: expired in the
/// queue, scored too late, or no budget left to re-run a failed batch (DEADLINE_EXCEEDED / HTTP 504).
/// </summary>
public sealed class DeadlineExceededException(string message, Exception? inner = null) : Exception(message, inner);
