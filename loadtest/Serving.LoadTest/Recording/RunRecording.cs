using HdrHistogram;

namespace Serving.LoadTest.Recording;

/// <summary>The finished record of a run: per-second records and the totals merged from them.</summary>
internal sealed class RunRecording
{
    public RunRecording(IReadOnlyList<SecondRecord> seconds, HistogramBase sendLag)
    {
        ArgumentNullException.ThrowIfNull(seconds);
        Seconds = seconds;
        SendLag = sendLag;
        Latency = HistogramMerger.Merge(seconds.Select(s => s.Latency));
        var statusCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var second in seconds)
        {
            Offered += second.Offered;
            Dropped += second.Dropped;
            Completed += second.Completed;
            Succeeded += second.Succeeded;
            Rows += second.Rows;
            foreach (var (status, count) in second.StatusCounts)
            {
                statusCounts[status] = statusCounts.GetValueOrDefault(status) + count;
            }
        }

        StatusCounts = statusCounts;
    }

    public IReadOnlyList<SecondRecord> Seconds { get; }

    /// <summary>All completions' latency: the per-second histograms merged.</summary>
    public LongHistogram Latency { get; }

    /// <summary>How late the generator sent each request after its intended time.</summary>
    public HistogramBase SendLag { get; }

    public long Offered { get; }

    public long Dropped { get; }

    public long Completed { get; }

    public long Succeeded { get; }

    public long Rows { get; }

    /// <summary>Completions by status label, plus CLIENT_DROPPED for drops.</summary>
    public IReadOnlyDictionary<string, long> StatusCounts { get; }

    /// <summary>Latency from the intended send, per status label (ordinal order), over the whole run.</summary>
    public IReadOnlyDictionary<string, LongHistogram> LatencyByStatus { get; init; } = new Dictionary<string, LongHistogram>();

    /// <summary>Latency from the actual send, per status label (ordinal order): what the server and the wire took.</summary>
    public IReadOnlyDictionary<string, LongHistogram> ServiceTimeByStatus { get; init; } = new Dictionary<string, LongHistogram>();

    /// <summary>Successful calls slower than the recorder's latency objective (0 without one).</summary>
    public long SucceededAfterObjective { get; init; }
}
