using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Admission;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Api;

/// <summary>
/// Shadow scoring: a model's routing may mirror a share of its calls (sticky per request id) to a
/// shadow version. The copy is scored after the primary call has its scores, on the thread pool at
/// best-effort priority, and only while the server has room: never more than
/// <c>Serving:Models:ShadowMaxInFlight</c> at once, and not at all while the admission gate is past
/// its best-effort share or draining. It never delays or fails the primary call: its outcome goes
/// to metrics only (the shadow's scores, and shadow minus primary per candidate).
/// </summary>
internal sealed partial class ShadowMirror(
    AdmissionGate gate,
    ServingMetrics metrics,
    IOptions<ModelRepositoryOptions> repository,
    IOptions<ApiOptions> api,
    TimeProvider time,
    ILogger<ShadowMirror> logger)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, bool> _running = new();
    private int _inFlight;

    /// <summary>Shadow calls in flight now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Completes when every shadow call started so far has ended (tests; shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Keys);

    /// <summary>
    /// Decides whether this call is mirrored; when it is, returns the pending shadow call (holding a
    /// lease on the shadow version and a copy of the request), to be started with the primary's
    /// scores or disposed if the primary fails. Null when not mirrored or shed.
    /// </summary>
    public ShadowCall? Begin(ServedModel served, ServedModelVersion primary, WireRankRequest request)
    {
        var routing = served.Routing;
        if (routing.ShadowVersion is not { } target || target == primary || !routing.Mirrors(request.RequestId))
        {
            return null;
        }

        if (!gate.HasRoomForBestEffort)
        {
            Count(served.Name, target.Version, "shed");
            return null;
        }

        if (Interlocked.Increment(ref _inFlight) > repository.Value.Models.ShadowMaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            Count(served.Name, target.Version, "shed");
            return null;
        }

        if (!target.TryAcquire())
        {
            Interlocked.Decrement(ref _inFlight);
            return null; // retired between the snapshot and now: nothing to compare against
        }

        return new ShadowCall(this, target, primary.Version, request.Copy());
    }

    private async Task RunAsync(ShadowCall call, float[] primaryScores)
    {
        var version = call.Version;
        var spec = version.Spec;
        var outcome = "failed";
        try
        {
            var rows = FeatureAssembler.Assemble(spec, call.Request, api.Value.MaxCandidatesPerRequest);
            call.Request.Dispose();
            var deadline = time.GetUtcNow() + spec.SloP99;
            var result = await version.Scheduler.ScoreAsync(rows, deadline, Priority.BestEffort, CancellationToken.None).ConfigureAwait(false);
            version.Metrics.RecordScores(result.Scores);
            var difference = metrics.ShadowDifference.WithLabels(spec.Name, version.Version, call.PrimaryVersion);
            var count = Math.Min(result.Scores.Length, primaryScores.Length);
            for (var i = 0; i < count; i++)
            {
                difference.Observe(result.Scores[i] - primaryScores[i]);
            }

            outcome = "scored";
        }
        catch (ScoringRejectedException)
        {
            outcome = "shed";
        }
        catch (DeadlineExceededException)
        {
            outcome = "shed";
        }
        catch (InvalidRequestException ex)
        {
            // The shadow's features may differ from the primary's (a per-version config.json).
            LogShadowInvalid(logger, spec.Name, version.Version, ex.Message);
        }
        catch (Exception ex)
        {
            // The primary call was answered already: a shadow failure is the candidate's problem, not the caller's.
            LogShadowFailed(logger, spec.Name, version.Version, ex.Message);
        }
        finally
        {
            call.Request.Dispose();
            version.Release();
            Interlocked.Decrement(ref _inFlight);
            Count(spec.Name, version.Version, outcome);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Shadow call to {Model} v{Version} not scored: the request does not fit its features: {Reason}")]
    private static partial void LogShadowInvalid(ILogger logger, string model, string version, string reason);

    private void Count(string model, string version, string outcome) =>
        metrics.ShadowRequests.WithLabels(model, version, outcome).Inc();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shadow call to {Model} v{Version} failed (the primary call was not affected): {Reason}")]
    private static partial void LogShadowFailed(ILogger logger, string model, string version, string reason);

    /// <summary>A mirrored call waiting for its primary's scores; disposing it without starting drops it.</summary>
    internal sealed class ShadowCall(ShadowMirror owner, ServedModelVersion version, string primaryVersion, WireRankRequest request) : IDisposable
    {
        private int _done;

        public ServedModelVersion Version { get; } = version;

        public string PrimaryVersion { get; } = primaryVersion;

        public WireRankRequest Request { get; } = request;

        /// <summary>Scores the copy in the background and compares it with <paramref name="primaryScores"/>.</summary>
        public void Start(float[] primaryScores)
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                var running = Task.Run(() => owner.RunAsync(this, primaryScores));
                owner._running.TryAdd(running, true);
                running.ContinueWith(t => owner._running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Request.Dispose();
                Version.Release();
                Interlocked.Decrement(ref owner._inFlight);
            }
        }
    }
}
