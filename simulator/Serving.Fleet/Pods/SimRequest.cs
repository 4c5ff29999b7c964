using Serving.Batching;

namespace Serving.Fleet.Pods;

/// <summary>One simulated request: when it arrived, its rows, whether it counts in the measured window, and its batcher task once admitted.</summary>
internal sealed class SimRequest(DateTimeOffset arrivedAt, int rows, bool measured)
{
    public DateTimeOffset ArrivedAt { get; } = arrivedAt;

    public int Rows { get; } = rows;

    public bool Measured { get; } = measured;

    public ScoringTask? Task { get; set; }

    /// <summary>The admission gate's ticket (refused: never reached the batcher).</summary>
    public Serving.Admission.AdmissionTicket Ticket { get; set; }

    /// <summary>Slices of it computing now.</summary>
    public int RunningSlices { get; set; }

    /// <summary>Answered, late or refused: nothing more is counted for it.</summary>
    public bool Finished { get; set; }
}
