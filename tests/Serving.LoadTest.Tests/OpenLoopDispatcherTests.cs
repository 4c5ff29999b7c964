using HdrHistogram;
using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Tests;

public sealed class OpenLoopDispatcherTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static void AssertMicros(double expectedMs, long actualMicros) =>
        Assert.InRange(actualMicros, expectedMs * 1000 * 0.999, expectedMs * 1000 * 1.001);

    [Fact]
    public async Task LatencyCountsFromTheIntendedTimeWhenTheSenderFallsBehind()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, maxInFlight: 100);

        var run = dispatcher.RunAsync([Ms(0), Ms(10), Ms(20)], sender, recorder, TimeSpan.FromSeconds(1), CancellationToken.None);
        await sender.WaitForCallsAsync(1);
        await time.WaitForTimersAsync(1);

        // The generator stalls: nothing happens until 50 ms, when requests 1 and 2 (due at 10 and 20 ms) leave together.
        time.Advance(Ms(50));
        await sender.WaitForCallsAsync(3);

        // Every response arrives at 60 ms.
        time.Advance(Ms(10));
        sender.Complete(0);
        sender.Complete(1);
        sender.Complete(2);
        var result = await run.WaitAsync(HangGuard);

        var recording = recorder.Snapshot();
        Assert.Equal(3, result.Sent);
        Assert.Equal(3, recording.Completed);
        var latencies = recording.Latency.RecordedValues().Select(v => v.ValueIteratedTo).Order().ToArray();
        // From the intended times: 60-20, 60-10, 60-0; from the actual send (50 ms) it would have been 10, 10, 60.
        Assert.Equal(3, latencies.Length);
        AssertMicros(40, latencies[0]);
        AssertMicros(50, latencies[1]);
        AssertMicros(60, latencies[2]);
        // The lag itself is recorded too: request 1 left 40 ms late.
        AssertMicros(40, recording.SendLag.GetMaxValue());
    }

    [Fact]
    public async Task SendsAtIntendedTimesWithoutWaitingForEarlierResponses()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, maxInFlight: 100);

        var run = dispatcher.RunAsync([Ms(0), Ms(10), Ms(20)], sender, recorder, TimeSpan.FromSeconds(1), CancellationToken.None);
        await sender.WaitForCallsAsync(1);
        await time.WaitForTimersAsync(1);
        Assert.Equal(1, sender.CallCount);

        time.Advance(Ms(10));
        await sender.WaitForCallsAsync(2);
        await time.WaitForTimersAsync(2);
        Assert.Equal(2, sender.CallCount);

        time.Advance(Ms(10));
        await sender.WaitForCallsAsync(3);

        // Three in flight at once, none answered: the dispatcher never waited for a response.
        Assert.Equal(3, dispatcher.InFlight);
        Assert.Equal(0, recorder.Snapshot().Completed);

        for (var i = 0; i < 3; i++)
        {
            sender.Complete(i);
        }

        await run.WaitAsync(HangGuard);
        Assert.Equal(0, dispatcher.InFlight);
        Assert.Equal(0, recorder.Snapshot().SendLag.GetMaxValue() / 1000);
    }

    [Fact]
    public async Task ArrivalsBeyondTheInFlightCapAreDroppedAndCountedNotDelayed()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, maxInFlight: 1);

        var run = dispatcher.RunAsync([Ms(0), Ms(1), Ms(2), Ms(30)], sender, recorder, TimeSpan.FromSeconds(1), CancellationToken.None);
        await sender.WaitForCallsAsync(1);
        await time.WaitForTimersAsync(1);

        // At 5 ms the arrivals due at 1 and 2 ms find the one slot taken: dropped, and the wait for 30 ms is armed.
        time.Advance(Ms(5));
        await time.WaitForTimersAsync(2);
        Assert.Equal(2, recorder.Snapshot().Dropped);

        // The first call is answered at 20 ms; the arrival at 30 ms finds room again.
        time.Advance(Ms(15));
        sender.Complete(0);
        time.Advance(Ms(10));
        await sender.WaitForCallsAsync(2);
        sender.Complete(1);
        var result = await run.WaitAsync(HangGuard);

        var recording = recorder.Snapshot();
        Assert.Equal(2, result.Sent);
        Assert.Equal(4, recording.Offered);
        Assert.Equal(2, recording.Dropped);
        Assert.Equal(2, recording.StatusCounts[StatusLabels.ClientDropped]);
        Assert.Equal(2, recording.Succeeded);
    }

    [Fact]
    public async Task StragglersAreCancelledAfterTheDrainTimeout()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, maxInFlight: 10);

        var run = dispatcher.RunAsync([Ms(0)], sender, recorder, TimeSpan.FromSeconds(2), CancellationToken.None);
        await sender.WaitForCallsAsync(1);
        await time.WaitForTimersAsync(1);
        time.Advance(TimeSpan.FromSeconds(2));
        var result = await run.WaitAsync(HangGuard);

        var recording = recorder.Snapshot();
        Assert.Equal(0, result.Abandoned);
        Assert.Equal(1, recording.StatusCounts[StatusLabels.Cancelled]);
        Assert.Equal(0, recording.Succeeded);
    }

    [Fact]
    public async Task CancellingStopsSendingAndReportsIt()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, maxInFlight: 10);
        using var cancellation = new CancellationTokenSource();

        var run = dispatcher.RunAsync([Ms(0), Ms(100), Ms(200)], sender, recorder, TimeSpan.FromSeconds(5), cancellation.Token);
        await sender.WaitForCallsAsync(1);
        await cancellation.CancelAsync();
        var result = await run.WaitAsync(HangGuard);

        Assert.True(result.Cancelled);
        Assert.Equal(1, result.Sent);
        Assert.Equal(1, sender.CallCount);
        Assert.Equal(1, recorder.Snapshot().StatusCounts[StatusLabels.Cancelled]);
    }

    [Fact]
    public async Task ServerErrorsAreCountedByStatus()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, maxInFlight: 10);

        var run = dispatcher.RunAsync([Ms(0), Ms(0), Ms(0)], sender, recorder, TimeSpan.FromSeconds(1), CancellationToken.None);
        await sender.WaitForCallsAsync(3);
        sender.Complete(0, "OK");
        sender.Complete(1, "RESOURCE_EXHAUSTED");
        sender.Complete(2, "DEADLINE_EXCEEDED");
        await run.WaitAsync(HangGuard);

        var recording = recorder.Snapshot();
        Assert.Equal(1, recording.Succeeded);
        Assert.Equal(10, recording.Rows);
        Assert.Equal(1, recording.StatusCounts["RESOURCE_EXHAUSTED"]);
        Assert.Equal(1, recording.StatusCounts["DEADLINE_EXCEEDED"]);
    }
}
