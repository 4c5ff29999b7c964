using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Tests;

/// <summary>Latency per status, from the intended and from the actual send, and successes later than an objective.</summary>
public sealed class PerStatusRecordingTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static double MaxMs(IReadOnlyDictionary<string, HdrHistogram.LongHistogram> byStatus, string status) =>
        LatencyHistograms.MaxMs(byStatus[status])!.Value;

    [Fact]
    public void EachStatusGetsItsOwnHistogramsInOrdinalOrder()
    {
        var recorder = new RunRecorder();
        recorder.RecordCompletion(Ms(0), Ms(0), Ms(8), StatusLabels.Ok, rows: 10);
        recorder.RecordCompletion(Ms(1), Ms(1), Ms(2), "RESOURCE_EXHAUSTED", rows: 10);
        recorder.RecordCompletion(Ms(2), Ms(2), Ms(9), StatusLabels.Ok, rows: 10);

        var recording = recorder.Snapshot();
        Assert.Equal(["OK", "RESOURCE_EXHAUSTED"], recording.LatencyByStatus.Keys);
        Assert.Equal(2, recording.LatencyByStatus["OK"].TotalCount);
        Assert.Equal(1, recording.LatencyByStatus["RESOURCE_EXHAUSTED"].TotalCount);
        Assert.Equal(1.0, MaxMs(recording.LatencyByStatus, "RESOURCE_EXHAUSTED"), 2);
        Assert.Equal(8.0, MaxMs(recording.LatencyByStatus, "OK"), 1);

        // The totals are unchanged by the split.
        Assert.Equal(3, recording.Latency.TotalCount);
    }

    [Fact]
    public void ServiceTimeCountsFromTheActualSendLatencyFromTheIntendedOne()
    {
        var recorder = new RunRecorder();

        // Intended at 0, left 30 ms late, answered 5 ms after it left.
        recorder.RecordCompletion(Ms(0), Ms(30), Ms(35), StatusLabels.Ok, rows: 1);

        var recording = recorder.Snapshot();
        Assert.Equal(35.0, MaxMs(recording.LatencyByStatus, "OK"), 1);
        Assert.Equal(5.0, MaxMs(recording.ServiceTimeByStatus, "OK"), 2);
    }

    [Fact]
    public void SuccessesSlowerThanTheObjectiveAreCountedFailuresAreNot()
    {
        var recorder = new RunRecorder(latencyObjective: Ms(10));
        recorder.RecordCompletion(Ms(0), Ms(9), StatusLabels.Ok, rows: 1);
        recorder.RecordCompletion(Ms(0), Ms(10), StatusLabels.Ok, rows: 1);
        recorder.RecordCompletion(Ms(0), Ms(11), StatusLabels.Ok, rows: 1);
        recorder.RecordCompletion(Ms(0), Ms(50), "DEADLINE_EXCEEDED", rows: 1);

        Assert.Equal(1, recorder.Snapshot().SucceededAfterObjective);
        Assert.Equal(0, Record(new RunRecorder()).SucceededAfterObjective);

        static RunRecording Record(RunRecorder withoutObjective)
        {
            withoutObjective.RecordCompletion(Ms(0), Ms(500), StatusLabels.Ok, rows: 1);
            return withoutObjective.Snapshot();
        }
    }

    [Fact]
    public void SnapshotsAreCopiesLaterCompletionsDoNotChangeThem()
    {
        var recorder = new RunRecorder();
        recorder.RecordCompletion(Ms(0), Ms(1), StatusLabels.Ok, rows: 1);
        var first = recorder.Snapshot();
        recorder.RecordCompletion(Ms(0), Ms(2), StatusLabels.Ok, rows: 1);

        Assert.Equal(1, first.LatencyByStatus["OK"].TotalCount);
        Assert.Equal(1, first.ServiceTimeByStatus["OK"].TotalCount);
        Assert.Equal(2, recorder.Snapshot().LatencyByStatus["OK"].TotalCount);
    }

    [Fact]
    public async Task TheDispatcherRecordsWhenEachCallActuallyLeft()
    {
        using var time = new SignallingTimeProvider();
        using var sender = new ControlledSender();
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, maxInFlight: 100);

        var run = dispatcher.RunAsync([Ms(0), Ms(10)], sender, recorder, TimeSpan.FromSeconds(1), CancellationToken.None);
        await sender.WaitForCallsAsync(1);
        await time.WaitForTimersAsync(1);

        // The generator stalls until 40 ms: the call due at 10 ms leaves 30 ms late.
        time.Advance(Ms(40));
        await sender.WaitForCallsAsync(2);

        // Both answered at 45 ms, one accepted and one rejected.
        time.Advance(Ms(5));
        sender.Complete(0);
        sender.Complete(1, "RESOURCE_EXHAUSTED");
        await run.WaitAsync(HangGuard);

        var recording = recorder.Snapshot();
        Assert.Equal(45.0, MaxMs(recording.LatencyByStatus, "OK"), 1);
        Assert.Equal(45.0, MaxMs(recording.ServiceTimeByStatus, "OK"), 1);
        Assert.Equal(35.0, MaxMs(recording.LatencyByStatus, "RESOURCE_EXHAUSTED"), 1);
        Assert.Equal(5.0, MaxMs(recording.ServiceTimeByStatus, "RESOURCE_EXHAUSTED"), 2);
    }
}
