using Prometheus;

namespace Serving.Telemetry;

/// <summary>
/// The metric children of one model version, bound once when the version is built: what the
/// request path records per call and per batch, with the <c>version</c> label that lets canary and
/// stable be compared. Its series are removed when the version retires (<see cref="ServingMetrics.ForgetVersion"/>).
/// </summary>
public sealed class VersionMetrics
{
    private readonly ServingMetrics _metrics;
    private readonly Histogram.Child _requestDuration;
    private readonly Histogram.Child _candidates;
    private readonly Histogram.Child _scores;
    private int _answered;

    internal VersionMetrics(ServingMetrics metrics, string model, string version)
    {
        _metrics = metrics;
        Model = model;
        Version = version;
        _requestDuration = metrics.RequestDuration.WithLabels(model, version);
        _candidates = metrics.CandidatesPerRequest.WithLabels(model, version);
        _scores = metrics.Scores.WithLabels(model, version);
    }

    public string Model { get; }

    public string Version { get; }

    /// <summary>Records one answered call: its duration, its rows and (one call in <see cref="ServingMetrics.ScoreSampleEvery"/>) its scores.</summary>
    public void RecordRequest(TimeSpan elapsed, ReadOnlySpan<float> scores)
    {
        _requestDuration.Observe(elapsed.TotalSeconds);
        _candidates.Observe(scores.Length);
        _metrics.Totals.Request(Model, elapsed.TotalSeconds, scores.Length);
        if (Interlocked.Increment(ref _answered) % ServingMetrics.ScoreSampleEvery == 0)
        {
            RecordScores(scores);
        }
    }

    /// <summary>Records every score of one call (the shadow path records them all).</summary>
    public void RecordScores(ReadOnlySpan<float> scores)
    {
        foreach (var score in scores)
        {
            _scores.Observe(score);
        }
    }

    /// <summary>Records one executed batch (queue time is recorded per slice by the batcher).</summary>
    public void RecordBatch(Batching.BatchExecution batch) => _metrics.RecordBatch(Model, Version, batch);
}
