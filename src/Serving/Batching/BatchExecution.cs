namespace Serving.Batching;

/// <summary>What executing one batch cost, as reported back to every request in it.</summary>
/// <param name="Device">Where it ran (<c>cpu</c>, <c>gpu</c>).</param>
/// <param name="BatchRows">Rows in the batch.</param>
/// <param name="QueueWait">Time waited: for a replica on the device (the executor), then also in the batcher (each request's own).</param>
/// <param name="Compute">Time the session took.</param>
/// <param name="FinishedAt">When the scores were written, on the device's own thread (default when unknown): what "in time" is judged by, not when a busy thread pool gets round to the response.</param>
public readonly record struct BatchExecution(string Device, int BatchRows, TimeSpan QueueWait, TimeSpan Compute, DateTimeOffset FinishedAt = default);
