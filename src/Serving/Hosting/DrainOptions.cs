namespace Serving.Hosting;

/// <summary>Graceful shutdown (<c>Serving:Drain</c>).</summary>
public sealed class DrainOptions
{
    /// <summary>Longest the server waits, after SIGTERM, for in-flight requests before it stops.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
}
