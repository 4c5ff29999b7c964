using Serving.Features;

namespace Serving.Execution;

/// <summary>A run of consecutive rows of one request, and where their scores go.</summary>
public readonly record struct RowSlice(FeatureRows Source, int FirstRow, int RowCount, Memory<float> Scores);

/// <summary>What executing one batch cost, as reported back to every request in it.</summary>
public readonly record struct BatchExecution(string Device, int BatchRows, TimeSpan QueueWait, TimeSpan Compute);
