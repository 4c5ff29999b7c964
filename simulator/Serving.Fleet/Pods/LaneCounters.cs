namespace Serving.Fleet.Pods;

/// <summary>What happened to one model's requests that arrived inside a measured window.</summary>
internal sealed class LaneCounters
{
    private readonly List<double> _latenciesMs = [];

    public int Offered { get; private set; }
    public int Answered { get; private set; }

    /// <summary>Answered DEADLINE_EXCEEDED: admitted but not scored in time (or past the deadline on arrival).</summary>
    public int Late { get; private set; }

    /// <summary>Refused by admission (queue full, predicted deadline miss).</summary>
    public int Refused { get; private set; }

    public long RowsAnswered { get; private set; }

    /// <summary>Replica-seconds of batch compute inside the window.</summary>
    public double ComputeSeconds { get; set; }

    public IReadOnlyList<double> LatenciesMs => _latenciesMs;

    /// <summary>Seconds the window's requests spent in the pod, answered or not (Little's law gives the requests in flight).</summary>
    public double SecondsInPod { get; set; }

    public void Offer() => Offered++;

    public void Answer(double latencyMs, int rows)
    {
        Answered++;
        RowsAnswered += rows;
        _latenciesMs.Add(latencyMs);
    }

    public void MarkLate() => Late++;

    public void Refuse() => Refused++;
}
