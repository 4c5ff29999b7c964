namespace Serving.Fleet.Pods;

internal enum PodEventKind
{
    /// <summary>A request reaches the pod.</summary>
    Arrival,

    /// <summary>A job on a core or GPU ended (request handling or a batch).</summary>
    JobDone,

    /// <summary>The batcher asked to decide again at this instant (<see cref="Serving.Batching.BatchQueue.NextDecisionTime"/>).</summary>
    DispatchTimer,
}

/// <summary>One pending event of a simulated pod.</summary>
internal readonly record struct PodEvent(PodEventKind Kind, ModelLane Lane, PodJob? Job);

/// <summary>Work for a core or GPU: handling one request, or computing one batch.</summary>
internal sealed class PodJob(ModelLane lane, TimeSpan duration)
{
    public ModelLane Lane { get; } = lane;

    public TimeSpan Duration { get; } = duration;

    public DateTimeOffset SubmittedAt { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    /// <summary>A call refused at the admission gate: only its reading costs CPU, then nothing follows.</summary>
    public bool Refusal { get; init; }

    /// <summary>The request this job handles; null for a batch.</summary>
    public SimRequest? Request { get; init; }

    /// <summary>The batch this job computes; null for request handling.</summary>
    public Serving.Batching.Batch? Batch { get; init; }
}
