using System.Diagnostics;

namespace Serving.Batching;

/// <summary>
/// The server's trace spans, through <see cref="System.Diagnostics"/> (OpenTelemetry listens when
/// <c>Serving:Tracing:Enabled</c> is set): <c>serving.assemble</c> (the request's features read into
/// rows), one <c>serving.queue</c> per slice (from admission to the start of its device run), one
/// <c>serving.batch</c> per batch (linked to every request in it: a batch serves many traces) and
/// its <c>serving.device_run</c>. Batch spans are recorded when the batch ends, from the times the
/// batcher and the device already keep, so the hot path only checks for a listener; with tracing off
/// (the default) nothing is created.
/// </summary>
public static class ServingTracing
{
    public const string SourceName = "Serving";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The caller's trace context to carry into the batcher (default when nothing listens).</summary>
    public static ActivityContext CurrentContext() =>
        Source.HasListeners() && Activity.Current is { } current ? current.Context : default;

    /// <summary>
    /// Records a span that has already happened, [<paramref name="start"/>, <paramref name="end"/>],
    /// under <paramref name="parent"/> (a new trace when default) with <paramref name="links"/>;
    /// returns its context. <see cref="Activity.Current"/> is left as it was.
    /// </summary>
    internal static ActivityContext Record(
        string name, ActivityContext parent, DateTimeOffset start, DateTimeOffset end,
        IEnumerable<ActivityLink>? links = null, IEnumerable<KeyValuePair<string, object?>>? tags = null, bool failed = false)
    {
        if (!Source.HasListeners())
        {
            return default;
        }

        var current = Activity.Current;
        Activity.Current = null; // a default parent means a new trace, not whatever this thread was doing
        try
        {
            using var activity = Source.CreateActivity(name, ActivityKind.Internal, parent, tags, links);
            if (activity is null)
            {
                return default;
            }

            activity.SetStartTime(start.UtcDateTime);
            activity.Start();
            if (failed)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }

            activity.SetEndTime((end < start ? start : end).UtcDateTime);
            activity.Stop();
            return activity.Context;
        }
        finally
        {
            Activity.Current = current;
        }
    }
}
