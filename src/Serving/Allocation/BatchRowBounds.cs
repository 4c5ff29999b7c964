namespace Serving.Allocation;

/// <summary>
/// The range the controller keeps a model's target batch rows in (<see cref="AllocatorOptions.MinBatchRows"/>
/// and <see cref="AllocatorOptions.MaxBatchRows"/> within the batcher's cap), and the cost model's ceiling:
/// the largest batch whose worst case fits the target p99 (docs/allocator.md, "Target batch rows").
/// </summary>
internal readonly record struct BatchRowBounds(int Min, int Max, int CostCeiling);
