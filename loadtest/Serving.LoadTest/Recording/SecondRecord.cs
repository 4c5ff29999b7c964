using HdrHistogram;

namespace Serving.LoadTest.Recording;

/// <summary>
/// What happened in one second of a run. Offered and dropped count by <em>intended send</em> second;
/// completions, statuses, rows and latency by <em>completion</em> second.
/// </summary>
internal sealed class SecondRecord
{
    public SecondRecord(int second)
    {
        Second = second;
    }

    public int Second { get; }

    public long Offered { get; set; }

    public long Dropped { get; set; }

    public long Completed { get; set; }

    public long Succeeded { get; set; }

    /// <summary>Candidates (rows) of the successful responses.</summary>
    public long Rows { get; set; }

    public Dictionary<string, long> StatusCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>Latency of every completion (any status), from intended send to response, in µs.</summary>
    public HistogramBase Latency { get; } = LatencyHistograms.CreatePerSecond();

    public SecondRecord Clone()
    {
        var copy = new SecondRecord(Second)
        {
            Offered = Offered,
            Dropped = Dropped,
            Completed = Completed,
            Succeeded = Succeeded,
            Rows = Rows,
        };
        foreach (var (status, count) in StatusCounts)
        {
            copy.StatusCounts[status] = count;
        }

        copy.Latency.Add(Latency);
        return copy;
    }
}
