namespace Serving.Admission;

/// <summary>
/// How many Rank calls the server takes at once: additive increase, multiplicative decrease, at
/// most one change per window. A window is <em>congested</em> when at least half the limit was in
/// flight and either the admitted calls' mean latency was above its target or work waited in the
/// thread pool longer than the queue-delay target (the wait a call has before it is admitted).
/// From the second congested window in a row (a lone one is a burst, not overload) the limit
/// shrinks by <see cref="DecreaseFactor"/>. In a window that is not congested and reached the
/// limit, it grows by a tenth (at least one). It stays between <c>min</c> and <c>max</c>. Slow
/// calls at low concurrency (a slow model, a large request) do not shrink it: fewer calls at once
/// would not make them faster.
/// </summary>
/// <remarks>
/// A fixed limit is wrong one way or the other: high enough for Poisson bursts at full load, it
/// lets overload queue tens of milliseconds of work inside the server while new calls wait for CPU
/// behind it; low enough for overload, it refuses calls at loads the server could serve. The
/// latency of admitted calls says which case holds. Clock-free apart from the injected
/// <see cref="TimeProvider"/>; thread-safe.
/// </remarks>
internal sealed class AdaptiveConcurrencyLimit
{
    public const double DecreaseFactor = 0.8;

    private readonly TimeProvider _time;
    private readonly int _min;
    private readonly int _max;
    private readonly Func<TimeSpan> _target;
    private readonly Func<TimeSpan>? _queueDelay;
    private readonly TimeSpan _queueDelayTarget;
    private readonly Action<double>? _limitChanged;
    private readonly long _windowTicks;
    private readonly Lock _gate = new();
    private int _limit;
    private int _inFlight;
    private long _windowEnd;
    private long _latencyTicksSum;
    private long _completions;
    private int _saturated;
    private int _peakInFlight;
    private bool _previousCongested;

    /// <param name="time">The clock latencies and windows are read from.</param>
    /// <param name="min">The limit never goes below this.</param>
    /// <param name="max">The limit never goes above this; it starts here.</param>
    /// <param name="target">Mean latency of admitted calls above which the limit shrinks (read each window).</param>
    /// <param name="window">How often the limit may change.</param>
    /// <param name="queueDelay">Read once per window: how long work waited to start in that window (null: not watched).</param>
    /// <param name="queueDelayTarget">Queue delay above which the limit shrinks.</param>
    /// <param name="limitChanged">Called with the new limit each time it changes (under the window's lock, so in order).</param>
    public AdaptiveConcurrencyLimit(
        TimeProvider time, int min, int max, Func<TimeSpan> target, TimeSpan window,
        Func<TimeSpan>? queueDelay = null, TimeSpan queueDelayTarget = default, Action<double>? limitChanged = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfLessThan(min, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _time = time;
        _min = min;
        _max = max;
        _target = target;
        _queueDelay = queueDelay;
        _queueDelayTarget = queueDelayTarget;
        _limitChanged = limitChanged;
        _limit = max;
        _windowTicks = (long)(window.TotalSeconds * time.TimestampFrequency);
        _windowEnd = time.GetTimestamp() + _windowTicks;
    }

    /// <summary>The current limit.</summary>
    public int Limit => Volatile.Read(ref _limit);

    /// <summary>Calls admitted and not yet released.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Admits a call (returns its start timestamp for <see cref="Release"/>), or returns null when
    /// the limit is reached, or, for a call allowed only <paramref name="shareOfLimit"/> of it (best
    /// effort), when that share is.
    /// </summary>
    public long? TryAcquire(double shareOfLimit = 1)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        var limit = Volatile.Read(ref _limit);
        var cap = shareOfLimit >= 1 ? limit : (int)(limit * shareOfLimit);
        if (inFlight > cap)
        {
            Interlocked.Decrement(ref _inFlight);
            if (inFlight > limit)
            {
                Volatile.Write(ref _saturated, 1);
            }

            return null;
        }

        if (inFlight == Volatile.Read(ref _limit))
        {
            Volatile.Write(ref _saturated, 1);
        }

        var peak = Volatile.Read(ref _peakInFlight);
        while (inFlight > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }

        return _time.GetTimestamp();
    }

    /// <summary>Takes back a call admitted a moment ago that will not run (the server began draining meanwhile); no latency is counted.</summary>
    public void Cancel() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Ends an admitted call; its latency counts towards the window's mean.</summary>
    public void Release(long startTimestamp)
    {
        Interlocked.Decrement(ref _inFlight);
        var now = _time.GetTimestamp();
        Interlocked.Add(ref _latencyTicksSum, now - startTimestamp);
        Interlocked.Increment(ref _completions);
        if (now >= Volatile.Read(ref _windowEnd))
        {
            CloseWindow(now);
        }
    }

    private void CloseWindow(long now)
    {
        lock (_gate)
        {
            if (now < _windowEnd)
            {
                return; // another completion closed it
            }

            var completions = Interlocked.Exchange(ref _completions, 0);
            var sum = Interlocked.Exchange(ref _latencyTicksSum, 0);
            var saturated = Interlocked.Exchange(ref _saturated, 0) == 1;
            var peak = Interlocked.Exchange(ref _peakInFlight, Volatile.Read(ref _inFlight));
            _windowEnd = now + _windowTicks;
            var queued = _queueDelay?.Invoke() > _queueDelayTarget;
            if (completions == 0)
            {
                return;
            }

            var meanSeconds = (double)sum / completions / _time.TimestampFrequency;
            var limit = _limit;
            var congested = (meanSeconds > _target().TotalSeconds || queued) && peak * 2 >= limit;
            var persistent = congested && _previousCongested;
            _previousCongested = congested;
            if (persistent)
            {
                limit = Math.Max(_min, (int)(limit * DecreaseFactor));
            }
            else if (saturated && !congested)
            {
                limit = Math.Min(_max, limit + Math.Max(1, limit / 10));
            }

            if (limit != _limit)
            {
                Volatile.Write(ref _limit, limit);
                _limitChanged?.Invoke(limit);
            }
        }
    }
}
