using Serving.LoadTest.Recording;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Dispatch;

/// <summary>What a dispatch did, beyond what the recorder holds.</summary>
/// <param name="Sent">Requests handed to the sender.</param>
/// <param name="Abandoned">Requests still unanswered after the drain timeout and cancellation grace (not in the recording).</param>
/// <param name="Cancelled">The caller's token stopped the run early.</param>
internal readonly record struct DispatchResult(long Sent, long Abandoned, bool Cancelled);

/// <summary>
/// Open-loop sender: each request leaves at its intended time whether or not earlier ones have been
/// answered. When more than the in-flight cap are outstanding, the arrival is dropped and counted,
/// not queued, since queueing in the client would quietly turn the test closed-loop. Latency is measured
/// from the intended time, so a generator that falls behind still reports what a user would have seen.
/// </summary>
internal sealed class OpenLoopDispatcher
{
    private static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time;
    private readonly ISendPacer _pacer;
    private readonly int _maxInFlight;
    private int _inFlight;

    /// <param name="time">The clock latencies are read from.</param>
    /// <param name="maxInFlight">Outstanding requests allowed; arrivals beyond are dropped.</param>
    /// <param name="pacer">How to wait for each send time; default <see cref="SendPacer.For"/> the clock.</param>
    public OpenLoopDispatcher(TimeProvider time, int maxInFlight, ISendPacer? pacer = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _time = time;
        _pacer = pacer ?? SendPacer.For(time);
        _maxInFlight = maxInFlight;
    }

    /// <summary>Requests sent and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Sends one request per intended time (offsets from now), then waits up to <paramref name="drainTimeout"/>
    /// for the stragglers and cancels what is left.
    /// </summary>
    public async Task<DispatchResult> RunAsync(
        IEnumerable<TimeSpan> intendedSendTimes,
        IRequestSender sender,
        RunRecorder recorder,
        TimeSpan drainTimeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(intendedSendTimes);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(recorder);

        using var sendCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Starts at 1 for the dispatch loop itself, so "all answered" can't fire before the last send.
        var outstanding = 1L;
        void CompleteOne()
        {
            if (Interlocked.Decrement(ref outstanding) == 0)
            {
                allAnswered.TrySetResult();
            }
        }

        var start = _time.GetTimestamp();
        long sequence = 0;
        var cancelled = false;

        // A blocking pacer gets a thread of its own: it must not hold a pool thread (pinned to one
        // core, the pool starts with one), and the loop stays on that thread because every await
        // in it completes synchronously.
        var sendLoop = _pacer.Blocks
            ? Task.Factory.StartNew(SendAllAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()
            : SendAllAsync();
        await sendLoop.ConfigureAwait(false);

        async Task SendAllAsync()
        {
            foreach (var intended in intendedSendTimes)
            {
                try
                {
                    await _pacer.WaitUntilAsync(start, intended, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    cancelled = true;
                    break;
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    cancelled = true;
                    break;
                }

                recorder.RecordOffered(intended);
                if (Volatile.Read(ref _inFlight) >= _maxInFlight)
                {
                    recorder.RecordDropped(intended);
                    continue;
                }

                recorder.RecordSendLag(_time.GetElapsedTime(start) - intended);
                Interlocked.Increment(ref _inFlight);
                Interlocked.Increment(ref outstanding);
                _ = SendOneAsync(sender, sequence++, intended, start, recorder, CompleteOne, sendCancellation.Token);
            }
        }

        CompleteOne();
        var abandoned = 0L;
        if (!await CompletesWithinAsync(allAnswered.Task, cancelled ? TimeSpan.Zero : drainTimeout).ConfigureAwait(false))
        {
            await sendCancellation.CancelAsync().ConfigureAwait(false);
            if (!await CompletesWithinAsync(allAnswered.Task, CancellationGrace).ConfigureAwait(false))
            {
                abandoned = Interlocked.Read(ref outstanding);
            }
        }

        return new DispatchResult(sequence, abandoned, cancelled);
    }

    private async Task SendOneAsync(
        IRequestSender sender, long sequence, TimeSpan intended, long start, RunRecorder recorder,
        Action completeOne, CancellationToken cancellationToken)
    {
        var sent = _time.GetElapsedTime(start);
        string status;
        try
        {
            status = await sender.SendAsync(sequence, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            status = StatusLabels.Cancelled;
        }
#pragma warning disable CA1031 // One failed call must not stop the run; it is counted instead.
        catch (Exception)
        {
            status = StatusLabels.ClientError;
        }
#pragma warning restore CA1031

        recorder.RecordCompletion(intended, sent, _time.GetElapsedTime(start), status, sender.RowsOf(sequence));
        Interlocked.Decrement(ref _inFlight);
        completeOne();
    }

    private async Task<bool> CompletesWithinAsync(Task task, TimeSpan timeout)
    {
        if (task.IsCompleted)
        {
            return true;
        }

        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            await task.WaitAsync(timeout, _time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
