using Microsoft.Extensions.Time.Testing;

namespace Serving.Tests.Batching;

/// <summary>
/// A test clock whose reads never run timers. <see cref="FakeTimeProvider.GetUtcNow"/> wakes the
/// timers that are due on the reading thread, so their continuations run inside whatever lock the
/// reader holds (Polly's circuit lock, when the circuit breaker reads the clock): a lock order that
/// cannot happen with real timers, which fire on the timer thread, and that deadlocked the soak.
/// Here reads return the time; only <see cref="Advance"/> fires timers, on the advancing thread.
/// </summary>
internal sealed class SteppedTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly FakeTimeProvider _timers = new(start);
    private long _nowTicks = start.UtcTicks;

    public DateTimeOffset Start { get; } = start;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _nowTicks), TimeSpan.Zero);

    public override long GetTimestamp() => Interlocked.Read(ref _nowTicks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _timers.CreateTimer(callback, state, dueTime, period);

    /// <summary>Moves the clock on (reads see the new time first, as with a real clock), then fires the timers now due.</summary>
    public void Advance(TimeSpan by)
    {
        Interlocked.Add(ref _nowTicks, by.Ticks);
        _timers.Advance(by);
    }
}
