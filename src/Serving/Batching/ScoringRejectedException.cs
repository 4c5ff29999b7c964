namespace Serving.Batching;

/// <summary>The request was refused at once (RESOURCE_EXHAUSTED / HTTP 429); <see cref="Reason"/> is a metric label.</summary>
public sealed class ScoringRejectedException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
