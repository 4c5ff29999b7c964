namespace Serving.Allocation;

/// <summary>
/// A limit learned at some load: it holds while the load stays within
/// <see cref="AllocatorOptions.LoadChangeTolerance"/> of it, and for <see cref="AllocatorOptions.CeilingMemory"/> at most.
/// </summary>
internal sealed class LoadBoundLimit
{
    private DateTimeOffset _at;
    private double _rowRate;

    public double? Value { get; private set; }

    public void Remember(double value, DateTimeOffset now, double rowRate)
    {
        Value = value;
        _at = now;
        _rowRate = rowRate;
    }

    public void Expire(DateTimeOffset now, double rowRate, AllocatorOptions options)
    {
        if (Value is not null && (now - _at > options.CeilingMemory || LoadChanged(_rowRate, rowRate, options)))
        {
            Value = null;
        }
    }

    private static bool LoadChanged(double before, double now, AllocatorOptions options) =>
        Math.Abs(now - before) > options.LoadChangeTolerance * Math.Max(before, 1e-9);
}
