namespace Serving.Batching;

/// <summary>How rows from different requests are combined into batches.</summary>
public enum BatchingMode
{
    /// <summary>Deadline-aware: dispatch at the target rows, before the earliest deadline would miss, at the max delay, or at once to an idle device.</summary>
    Adaptive,

    /// <summary>TF Serving style: dispatch at the target rows or after the max queue delay.</summary>
    Static,

    /// <summary>No cross-request batching: each request runs alone on a free session.</summary>
    None,
}
