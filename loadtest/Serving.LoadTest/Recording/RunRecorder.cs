using HdrHistogram;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Recording;

/// <summary>Live counters of the current second for the progress line.</summary>
internal readonly record struct ProgressSnapshot(int Second, long Offered, long Completed, long Succeeded, long Dropped, double? P99Ms);

/// <summary>
/// Thread-safe sink for a run's events, bucketed per second of run time. Times are offsets from the
/// run's start; latency is always completion minus <em>intended</em> send time, so a late sender
/// can't hide server queueing (no coordinated omission). Over the whole run it also keeps latency
/// per status, so accepted and rejected calls are judged apart under overload, and per status from
/// the actual send, which leaves the generator's own lateness out.
/// </summary>
internal sealed class RunRecorder
{
    private readonly Lock _gate = new();
    private readonly List<SecondRecord> _seconds = [];
    private readonly LongHistogram _sendLag = LatencyHistograms.CreateTotal();
    private readonly Dictionary<string, LongHistogram> _latencyByStatus = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LongHistogram> _serviceTimeByStatus = new(StringComparer.Ordinal);
    private readonly TimeSpan? _latencyObjective;
    private long _succeededAfterObjective;

    /// <param name="latencyObjective">When given, successful calls slower than this (from the intended send) are counted.</param>
    public RunRecorder(TimeSpan? latencyObjective = null)
    {
        _latencyObjective = latencyObjective;
    }

    public void RecordOffered(TimeSpan intended)
    {
        lock (_gate)
        {
            At(intended).Offered++;
        }
    }

    /// <summary>An arrival that was never sent because the in-flight cap was reached.</summary>
    public void RecordDropped(TimeSpan intended)
    {
        lock (_gate)
        {
            var second = At(intended);
            second.Dropped++;
            second.StatusCounts[StatusLabels.ClientDropped] = second.StatusCounts.GetValueOrDefault(StatusLabels.ClientDropped) + 1;
        }
    }

    /// <summary>How far behind its intended time a request actually left.</summary>
    public void RecordSendLag(TimeSpan lag)
    {
        lock (_gate)
        {
            LatencyHistograms.Record(_sendLag, lag);
        }
    }

    /// <summary>A completion of a call that left at its intended time.</summary>
    public void RecordCompletion(TimeSpan intended, TimeSpan completed, string status, int rows) =>
        RecordCompletion(intended, intended, completed, status, rows);

    /// <summary>A completion: <paramref name="sent"/> is when the call actually left, at or after <paramref name="intended"/>.</summary>
    public void RecordCompletion(TimeSpan intended, TimeSpan sent, TimeSpan completed, string status, int rows)
    {
        ArgumentNullException.ThrowIfNull(status);
        var latency = completed - intended;
        lock (_gate)
        {
            var second = At(completed);
            second.Completed++;
            second.StatusCounts[status] = second.StatusCounts.GetValueOrDefault(status) + 1;
            if (StatusLabels.IsSuccess(status))
            {
                second.Succeeded++;
                second.Rows += rows;
                if (latency > _latencyObjective)
                {
                    _succeededAfterObjective++;
                }
            }

            LatencyHistograms.Record(second.Latency, latency);
            LatencyHistograms.Record(ForStatus(_latencyByStatus, status), latency);
            LatencyHistograms.Record(ForStatus(_serviceTimeByStatus, status), completed - sent);
        }
    }

    /// <summary>The counters of one second so far (zeros when nothing happened in it).</summary>
    public ProgressSnapshot Peek(int second)
    {
        lock (_gate)
        {
            if (second < 0 || second >= _seconds.Count)
            {
                return new ProgressSnapshot(second, 0, 0, 0, 0, null);
            }

            var record = _seconds[second];
            return new ProgressSnapshot(
                second, record.Offered, record.Completed, record.Succeeded, record.Dropped,
                LatencyHistograms.PercentileMs(record.Latency, 99));
        }
    }

    /// <summary>A consistent copy of everything recorded so far.</summary>
    public RunRecording Snapshot()
    {
        lock (_gate)
        {
            return new RunRecording([.. _seconds.Select(s => s.Clone())], _sendLag.Copy())
            {
                LatencyByStatus = Copy(_latencyByStatus),
                ServiceTimeByStatus = Copy(_serviceTimeByStatus),
                SucceededAfterObjective = _succeededAfterObjective,
            };
        }
    }

    private static LongHistogram ForStatus(Dictionary<string, LongHistogram> byStatus, string status)
    {
        if (!byStatus.TryGetValue(status, out var histogram))
        {
            histogram = LatencyHistograms.CreateTotal();
            byStatus[status] = histogram;
        }

        return histogram;
    }

    private static SortedDictionary<string, LongHistogram> Copy(Dictionary<string, LongHistogram> byStatus) =>
        new(byStatus.ToDictionary(p => p.Key, p => (LongHistogram)p.Value.Copy(), StringComparer.Ordinal), StringComparer.Ordinal);

    private SecondRecord At(TimeSpan offset)
    {
        var index = (int)Math.Max(0, offset.Ticks / TimeSpan.TicksPerSecond);
        while (_seconds.Count <= index)
        {
            _seconds.Add(new SecondRecord(_seconds.Count));
        }

        return _seconds[index];
    }
}
