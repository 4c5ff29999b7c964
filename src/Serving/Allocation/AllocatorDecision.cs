namespace Serving.Allocation;

/// <summary>The knobs the controller turns, as they appear in metrics, logs and <c>/v1/allocator</c>.</summary>
public static class Knobs
{
    public const string TargetBatchRows = "target_batch_rows";
    public const string MaxQueueDelay = "max_queue_delay";

    /// <summary>Active session replicas of one device: <c>replicas_cpu</c>, <c>replicas_gpu</c>.</summary>
    public static string Replicas(string device) => "replicas_" + device;
}

/// <summary>What the controller measured when it made a decision.</summary>
/// <param name="P99Ms">Measured p99 in ms (null: no answered request in the window).</param>
/// <param name="TargetP99Ms">The p99 aimed at: the SLO × target fraction.</param>
/// <param name="SloMs">The model's p99 SLO.</param>
/// <param name="Count">Requests answered in the window.</param>
/// <param name="RowRate">Rows answered per second.</param>
/// <param name="BusyRatio">Busy share of the active replicas.</param>
/// <param name="MissRatio">Share of requests refused or past their deadline.</param>
/// <param name="WindowSeconds">The measurement window.</param>
public sealed record DecisionInputs(
    double? P99Ms,
    double TargetP99Ms,
    double SloMs,
    double Count,
    double RowRate,
    double BusyRatio,
    double MissRatio,
    double WindowSeconds);

/// <summary>
/// One change the controller made: which knob of which model, from what to what (rows, ms or
/// replicas), why, and the measurements it was based on.
/// </summary>
public sealed record AllocatorDecision(
    DateTimeOffset At,
    string Model,
    string Knob,
    string Direction,
    double From,
    double To,
    string Reason,
    DecisionInputs Inputs)
{
    public const string Up = "up";
    public const string Down = "down";
}
