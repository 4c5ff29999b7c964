using Microsoft.Extensions.Time.Testing;

namespace Serving.LoadTest.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that counts the timers created on it, so a test can wait until the
/// code under test has caught up with the clock and armed its next wait, before advancing time again.
/// </summary>
internal sealed class SignallingTimeProvider : FakeTimeProvider, IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _created = new(0);
    private int _awaited;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Release();
        return timer;
    }

    /// <summary>Completes when at least <paramref name="count"/> timers have been created in total.</summary>
    public async Task WaitForTimersAsync(int count)
    {
        while (_awaited < count)
        {
            Assert.True(await _created.WaitAsync(HangGuard), $"expected {count} timers");
            _awaited++;
        }
    }

    public void Dispose() => _created.Dispose();
}
