using System.Diagnostics;

namespace Serving.LoadTest.Dispatch;

/// <summary>Waits until an arrival's intended send time.</summary>
internal interface ISendPacer
{
    /// <summary>True when <see cref="WaitUntilAsync"/> blocks its thread (the dispatcher then runs on a thread of its own).</summary>
    bool Blocks { get; }

    /// <summary>Returns at or after <paramref name="intended"/> past <paramref name="startTimestamp"/>.</summary>
    ValueTask WaitUntilAsync(long startTimestamp, TimeSpan intended, CancellationToken cancellationToken);
}

/// <summary>Chooses the pacer for a clock.</summary>
internal static class SendPacer
{
    /// <summary>
    /// The real clock gets <see cref="SleepThenSpinPacer"/> (sub-millisecond send lag); any other
    /// <see cref="TimeProvider"/> (a test's fake clock) gets <see cref="TimerPacer"/>, which only
    /// moves when that clock's timers fire.
    /// </summary>
    public static ISendPacer For(TimeProvider time) =>
        ReferenceEquals(time, TimeProvider.System) ? new SleepThenSpinPacer() : new TimerPacer(time);
}

/// <summary>
/// Awaits the clock's timers in whole milliseconds, rounded up: never early, up to a timer tick late.
/// Runs on any clock, fake ones included.
/// </summary>
internal sealed class TimerPacer(TimeProvider time) : ISendPacer
{
    public bool Blocks => false;

    public async ValueTask WaitUntilAsync(long startTimestamp, TimeSpan intended, CancellationToken cancellationToken)
    {
        var wait = intended - time.GetElapsedTime(startTimestamp);
        while (wait > TimeSpan.Zero)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), time, cancellationToken).ConfigureAwait(false);
            wait = intended - time.GetElapsedTime(startTimestamp);
        }
    }
}

/// <summary>
/// For the real clock: sleeps in 1 ms steps while more than <see cref="SpinBelow"/> remains, then
/// yields the core in a loop until the time. .NET timers fire a millisecond or two late on Linux,
/// and that lag counts in every latency (it is taken from the intended time): at a 10 ms SLO it
/// cost a fifth of the budget. Yielding (not a busy spin) lets the generator's own response
/// handling run on the same core meanwhile. Blocks its thread.
/// </summary>
internal sealed class SleepThenSpinPacer : ISendPacer
{
    /// <summary>Below this remaining wait the pacer stops sleeping (a 1 ms sleep overshoots by ~0.1 ms).</summary>
    public static readonly TimeSpan SpinBelow = TimeSpan.FromMilliseconds(1.2);

    public bool Blocks => true;

    public ValueTask WaitUntilAsync(long startTimestamp, TimeSpan intended, CancellationToken cancellationToken)
    {
        var due = startTimestamp + (long)(intended.TotalSeconds * Stopwatch.Frequency);
        var spinBelowTicks = (long)(SpinBelow.TotalSeconds * Stopwatch.Frequency);
        long now;
        while ((now = Stopwatch.GetTimestamp()) < due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (due - now > spinBelowTicks)
            {
                Thread.Sleep(1);
            }
            else
            {
                Thread.Yield();
            }
        }

        return ValueTask.CompletedTask;
    }
}
