using HdrHistogram;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.Benchmarks;

/// <summary>
/// The server's <c>Timing</c> of every OK Rank response of the measured run (the transport's
/// response observer): its means and the distribution of the server's total, for where the
/// time goes. Responses before <see cref="Start"/> (priming, warm-up) are ignored.
/// </summary>
internal sealed class ServerTimingRecorder : IRankResponseObserver
{
    private readonly Lock _gate = new();
    private readonly LongHistogram _total = LatencyHistograms.CreateTotal();
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

    /// <summary>A copy of the server totals' histogram (µs).</summary>
    public LongHistogram ServerTotal()
    {
        lock (_gate)
        {
            return (LongHistogram)_total.Copy();
        }
    }
}
