namespace Serving.LoadTest.Reporting;

/// <summary>
/// One second of a run in <c>timeseries.json</c>. Offered and dropped count arrivals by intended send
/// second; completed, succeeded, rows, status counts and percentiles count responses by the second they arrived.
/// </summary>
public sealed record TimeSeriesPoint
{
    public int Second { get; init; }

    public long Offered { get; init; }

    public long Dropped { get; init; }

    public long Completed { get; init; }

    public long Succeeded { get; init; }

    public long Rows { get; init; }

    public IReadOnlyDictionary<string, long> StatusCounts { get; init; } = new Dictionary<string, long>();

    public double? P50Ms { get; init; }

    public double? P99Ms { get; init; }

    public double? P999Ms { get; init; }

    public double? MaxMs { get; init; }
}
