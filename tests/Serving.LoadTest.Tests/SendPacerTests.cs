using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Tests;

public sealed class SendPacerTests
{
    [Fact]
    public void TheRealClockGetsTheSleepThenSpinPacerAndAFakeClockItsTimers()
    {
        Assert.IsType<SleepThenSpinPacer>(SendPacer.For(TimeProvider.System));
        Assert.IsType<TimerPacer>(SendPacer.For(new FakeTimeProvider()));
        Assert.True(SendPacer.For(TimeProvider.System).Blocks);
        Assert.False(SendPacer.For(new FakeTimeProvider()).Blocks);
    }

    [Fact]
    public async Task SleepThenSpinNeverReturnsBeforeTheIntendedTime()
    {
        var pacer = new SleepThenSpinPacer();
        var start = Stopwatch.GetTimestamp();
        foreach (var ms in new[] { 0.3, 1.0, 2.5, 4.0 })
        {
            await pacer.WaitUntilAsync(start, TimeSpan.FromMilliseconds(ms), CancellationToken.None);
            Assert.True(Stopwatch.GetElapsedTime(start) >= TimeSpan.FromMilliseconds(ms), $"returned before {ms} ms");
        }
    }

    [Fact]
    public async Task SleepThenSpinStopsWhenCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new SleepThenSpinPacer().WaitUntilAsync(Stopwatch.GetTimestamp(), TimeSpan.FromHours(1), cancelled.Token).AsTask());
    }

    [Fact]
    public async Task TimerPacerWaitsForTheFakeClock()
    {
        var time = new FakeTimeProvider();
        var pacer = new TimerPacer(time);
        var start = time.GetTimestamp();

        var wait = pacer.WaitUntilAsync(start, TimeSpan.FromMilliseconds(5), CancellationToken.None).AsTask();
        Assert.False(wait.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(5));
        await wait.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(time.GetElapsedTime(start) >= TimeSpan.FromMilliseconds(5));
    }

    [Fact]
    public void PooledRequestsCarryTheirProtobufEncoding()
    {
        var message = new RankRequest { Model = "m", CandidateCount = 2 };
        var pooled = new PooledRequest(message, 2, null);

        Assert.Equal(message, RankRequest.Parser.ParseFrom(pooled.Protobuf));
        Assert.Same(pooled.Protobuf, pooled.Protobuf);
    }
}
