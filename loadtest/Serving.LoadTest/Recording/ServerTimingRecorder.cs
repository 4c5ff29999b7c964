using HdrHistogram;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Reporting;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Recording;

/// <summary>
/// The server's <c>timing</c> of every OK Rank response of the measured run (the gRPC transport's
/// response observer): how long the rows queued, how long the batch computed, the server's total
/// from receipt to response, and the rows of the batch that carried them. Responses before
/// <see cref="Start"/> (priming, warm-up) are ignored.
/// </summary>
internal sealed class ServerTimingRecorder : IRankResponseObserver
{
    private readonly Lock _gate = new();
    private readonly LongHistogram _total = LatencyHistograms.CreateTotal();
    private readonly LongHistogram _queue = LatencyHistograms.CreateTotal();
    private readonly LongHistogram _compute = LatencyHistograms.CreateTotal();
    private readonly Dictionary<string, long> _devices = new(StringComparer.Ordinal);
    private volatile bool _started;
    private long _count;
    private long _okRows;
    private double _totalMs;
    private double _queueMs;
    private double _computeMs;
    private double _batchRows;

    public void Start() => _started = true;

    public void OnResponse(PooledRequest request, RankResponse response)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);

        // Only what the transport counts as OK: one score per candidate.
        if (!_started || response.Timing is not { } timing || response.Scores.Count != request.CandidateCount)
        {
            return;
        }

        lock (_gate)
        {
            _count++;
            _okRows += request.CandidateCount;
            _totalMs += timing.TotalMs;
            _queueMs += timing.QueueMs;
            _computeMs += timing.ComputeMs;
            _batchRows += timing.BatchRows;
            LatencyHistograms.Record(_total, TimeSpan.FromMilliseconds(timing.TotalMs));
            LatencyHistograms.Record(_queue, TimeSpan.FromMilliseconds(timing.QueueMs));
            LatencyHistograms.Record(_compute, TimeSpan.FromMilliseconds(timing.ComputeMs));
            var device = timing.Device.Length == 0 ? "unknown" : timing.Device;
            _devices[device] = _devices.GetValueOrDefault(device) + 1;
        }
    }

    /// <summary>Candidates of the OK responses that carried a timing.</summary>
    public long OkRows
    {
        get
        {
            lock (_gate)
            {
                return _okRows;
            }
        }
    }

    /// <summary>The per-response means; null when no OK response carried a timing.</summary>
    public ServerTimingMeans? Means()
    {
        lock (_gate)
        {
            return _count == 0
                ? null
                : new ServerTimingMeans(
                    Math.Round(_totalMs / _count, 4),
                    Math.Round(_queueMs / _count, 4),
                    Math.Round(_computeMs / _count, 4),
                    Math.Round(_batchRows / _count, 1));
        }
    }

    /// <summary>The distributions for a run's report; null when no OK response carried a timing.</summary>
    public ServerTimingSummary? Summary()
    {
        lock (_gate)
        {
            return _count == 0
                ? null
                : new ServerTimingSummary(
                    _count,
                    SummaryBuilder.Summarise(_total),
                    SummaryBuilder.Summarise(_queue),
                    SummaryBuilder.Summarise(_compute),
                    Math.Round(_batchRows / _count, 1),
                    new SortedDictionary<string, long>(_devices, StringComparer.Ordinal));
        }
    }

    /// <summary>A copy of the server totals' histogram (µs).</summary>
    public LongHistogram ServerTotal()
    {
        lock (_gate)
        {
            return (LongHistogram)_total.Copy();
        }
    }
}

/// <summary>Means of the server's timing per OK response, in milliseconds (batch rows: rows).</summary>
internal sealed record ServerTimingMeans(double TotalMs, double QueueMs, double ComputeMs, double BatchRows);
