using Serving.Features;

namespace Serving.Execution;

/// <summary>
/// A run of consecutive rows of one request, where their scores go, and the request's deadline;
/// <paramref name="Owner"/> is the batcher's handle on the request.
/// </summary>
public readonly record struct RowSlice(FeatureRows Source, int FirstRow, int RowCount, Memory<float> Scores, DateTimeOffset Deadline, object? Owner = null);

/// <summary>What executing one batch cost, as reported back to every request in it.</summary>
public readonly record struct BatchExecution(string Device, int BatchRows, TimeSpan QueueWait, TimeSpan Compute);

/// <summary>A batch could not be run before the earliest deadline among its rows (DEADLINE_EXCEEDED).</summary>
public sealed class BatchDeadlineExceededException(string message, Exception? inner = null) : Exception(message, inner);
