namespace Serving.Batching;

/// <summary>Why a request was refused before compute (the <c>reason</c> of the refusal and its metric label), at the admission gate or by the batcher.</summary>
public static class RejectionReasons
{
    public const string IngressLimit = "ingress_limit";
    public const string QueueFull = "queue_full";
    public const string PredictedMiss = "predicted_deadline_miss";
    public const string BestEffortShed = "best_effort_shed";
    public const string Draining = "draining";
}
