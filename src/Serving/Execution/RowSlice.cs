using Serving.Features;

namespace Serving.Execution;

/// <summary>A run of consecutive rows of one request, and where their scores go; <paramref name="Owner"/> is the batcher's handle on the request.</summary>
public readonly record struct RowSlice(FeatureRows Source, int FirstRow, int RowCount, Memory<float> Scores, object? Owner = null);

/// <summary>What executing one batch cost, as reported back to every request in it.</summary>
public readonly record struct BatchExecution(string Device, int BatchRows, TimeSpan QueueWait, TimeSpan Compute);
