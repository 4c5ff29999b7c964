namespace Serving.Fleet.Simulation;

/// <summary>
/// The simulated clock: a <see cref="TimeProvider"/> that moves only when the event loop moves it,
/// so the real batcher and policy read simulated time and a run is deterministic.
/// </summary>
internal sealed class SimClock(DateTimeOffset start) : TimeProvider
{
    /// <summary>Where every run's clock starts (any fixed instant would do).</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public DateTimeOffset Now { get; private set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    /// <summary>Timestamps (what the admission gate measures latency with) in the simulated clock's ticks, not the machine's.</summary>
    public override long GetTimestamp() => Now.UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Seconds since <see cref="Epoch"/>.</summary>
    public double Seconds => (Now - Epoch).TotalSeconds;

    public void AdvanceTo(DateTimeOffset instant)
    {
        if (instant < Now)
        {
            throw new InvalidOperationException($"the simulated clock cannot go back from {Now:O} to {instant:O}");
        }

        Now = instant;
    }
}
