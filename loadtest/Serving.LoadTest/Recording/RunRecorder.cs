using HdrHistogram;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Recording;

/// <summary>Live counters of the current second for the progress line.</summary>
internal readonly record struct ProgressSnapshot(int Second, long Offered, long Completed, long Succeeded, long Dropped, double? P99Ms);

/// <summary>
/// Thread-safe sink for a run's events, bucketed per second of run time. Times are offsets from the
/// run's start; latency is always completion minus <em>intended</em> send time, so a late sender
/// can't hide server queueing (no coordinated omission).
/// </summary>
internal sealed class RunRecorder
{
    private readonly Lock _gate = new();
    private readonly List<SecondRecord> _seconds = [];
    private readonly LongHistogram _sendLag = LatencyHistograms.CreateTotal();

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

    public void RecordCompletion(TimeSpan intended, TimeSpan completed, string status, int rows)
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
            }

            LatencyHistograms.Record(second.Latency, latency);
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
            return new RunRecording([.. _seconds.Select(s => s.Clone())], _sendLag.Copy());
        }
    }

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
