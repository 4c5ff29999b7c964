namespace Serving.Fleet.Simulation;

/// <summary>
/// Pending events in time order; events at the same instant in the order they were scheduled
/// (a sequence number breaks ties), which is what makes a run deterministic.
/// </summary>
internal sealed class EventQueue<T>
{
    private readonly PriorityQueue<T, (long Ticks, long Sequence)> _events = new();
    private long _sequence;

    public int Count => _events.Count;

    public void Schedule(DateTimeOffset at, T item) => _events.Enqueue(item, (at.UtcTicks, _sequence++));

    public bool TryPeekTime(out DateTimeOffset at)
    {
        if (_events.TryPeek(out _, out var key))
        {
            at = new DateTimeOffset(key.Ticks, TimeSpan.Zero);
            return true;
        }

        at = default;
        return false;
    }

    public T Dequeue(out DateTimeOffset at)
    {
        _events.TryDequeue(out var item, out var key);
        at = new DateTimeOffset(key.Ticks, TimeSpan.Zero);
        return item!;
    }
}
