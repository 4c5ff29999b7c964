using Serving.Batching;
using Serving.Contracts.Ranking.V1;

namespace Serving.Admission;

/// <summary>
/// The one gate every ranking call passes before the server does any work for it: it counts the
/// calls in flight (one counter, for the limit and for the drain), refuses beyond the adaptive
/// limit (<see cref="AdaptiveConcurrencyLimit"/>), refuses best-effort calls beyond their share of
/// it first, and refuses everything once draining has begun, completing the drain when the last
/// admitted call leaves. Thread-safe.
/// </summary>
/// <remarks>
/// The gate sits after the call's message is read (the API's interceptor), not in front of it: only
/// there is the priority known, and a call whose body is still arriving holds no slot.
/// </remarks>
public sealed class AdmissionGate
{
    /// <summary>How often the limit may change.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    private readonly AdaptiveConcurrencyLimit _limit;
    private readonly double _bestEffortShare;
    private readonly bool _limited;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _draining;

    /// <param name="options">The limit's bounds and targets, and best effort's share.</param>
    /// <param name="latencyTarget">Read each window: the admitted calls' mean latency above which the limit shrinks.</param>
    /// <param name="time">The clock latencies and windows are read from.</param>
    /// <param name="queueDelay">Read each window: how long work waited in the thread pool (null: not watched).</param>
    /// <param name="limitChanged">Called with each new limit.</param>
    public AdmissionGate(AdmissionOptions options, Func<TimeSpan> latencyTarget, TimeProvider time, Func<TimeSpan>? queueDelay = null, Action<int>? limitChanged = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limited = options.MaxInFlightRequests > 0;
        _bestEffortShare = options.BestEffortInFlightShare;
        var max = _limited ? options.MaxInFlightRequests : int.MaxValue;
        var min = _limited ? Math.Min(options.MinInFlightRequests, max) : int.MaxValue;
        _limit = new AdaptiveConcurrencyLimit(
            time, min, max, latencyTarget, Window,
            _limited ? queueDelay : null, options.IngressQueueDelayTarget,
            limitChanged is null ? null : limit => limitChanged((int)limit));
    }

    /// <summary>The current limit; <see cref="int.MaxValue"/> when the limit is off.</summary>
    public int Limit => _limit.Limit;

    /// <summary>Calls admitted and not yet left.</summary>
    public int InFlight => _limit.InFlight;

    /// <summary>
    /// Whether optional work (a shadow call) may start now: not draining, and the calls in flight
    /// below the best-effort share of the limit (always, when the gate has no limit).
    /// </summary>
    public bool HasRoomForBestEffort => !Draining && (!_limited || InFlight <= Limit * _bestEffortShare);

    /// <summary>True once <see cref="BeginDrain"/> was called: every new call is refused.</summary>
    public bool Draining => Volatile.Read(ref _draining) == 1;

    /// <summary>Admits a call of <paramref name="priority"/>, or says why not. An admitted call must be passed to <see cref="Leave"/>.</summary>
    public AdmissionTicket TryEnter(Priority priority)
    {
        if (Draining)
        {
            return AdmissionTicket.Refused(RejectionReasons.Draining, "the server is draining for shutdown; retry on another replica");
        }

        var bestEffort = priority == Priority.BestEffort && _limited;
        if (_limit.TryAcquire(bestEffort ? _bestEffortShare : 1) is not { } started)
        {
            var limit = _limit.Limit;
            return bestEffort && InFlight < limit
                ? AdmissionTicket.Refused(RejectionReasons.BestEffortShed, $"best-effort call shed: {InFlight} calls in flight, best effort admitted below {(int)(limit * _bestEffortShare)}; retry later")
                : AdmissionTicket.Refused(RejectionReasons.IngressLimit, $"{limit} calls already in flight; retry with backoff or on another replica");
        }

        // Counted in before the flag is read again, and the drain sets the flag before it reads the
        // count (both interlocked): a call either sees the drain, or the drain waits for it.
        if (Draining)
        {
            _limit.Cancel();
            SignalIfDrained();
            return AdmissionTicket.Refused(RejectionReasons.Draining, "the server is draining for shutdown; retry on another replica");
        }

        return new AdmissionTicket(started, null, null);
    }

    /// <summary>Ends an admitted call.</summary>
    public void Leave(AdmissionTicket ticket)
    {
        if (ticket.IsAdmitted)
        {
            _limit.Release(ticket.StartedTimestamp);
            SignalIfDrained();
        }
    }

    /// <summary>Starts draining; completes when no admitted call is left.</summary>
    public Task BeginDrain()
    {
        Interlocked.Exchange(ref _draining, 1);
        SignalIfDrained();
        return _drained.Task;
    }

    private void SignalIfDrained()
    {
        if (Draining && _limit.InFlight == 0)
        {
            _drained.TrySetResult();
        }
    }
}
