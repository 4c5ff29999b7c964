using Serving.LoadTest.Arrivals;
using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Reporting;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest;

/// <summary>One measured run over a prepared workload and sender: arrivals → dispatcher → recorder → report.</summary>
internal static class RunSession
{
    /// <summary>Where progress goes: null for none.</summary>
    internal sealed record ProgressTarget(TextWriter Writer, bool Overwrite, string Label = "");

    public static async Task<RunReport> ExecuteAsync(
        LoadOptions options,
        Workload workload,
        IRequestSender sender,
        TimeProvider time,
        ProgressTarget? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentNullException.ThrowIfNull(time);

        var arrivals = new ArrivalCounter(ArrivalGenerator.IntendedSendTimes(
            options.Schedule, options.Arrivals, options.Duration, options.MaxRequests, options.Seed));
        var recorder = new RunRecorder();
        var dispatcher = new OpenLoopDispatcher(time, options.MaxInFlight);
        var startedAt = time.GetUtcNow();

        DispatchResult result;
        using (progress is null ? null : new ProgressDisplay(time, progress.Writer, recorder, () => dispatcher.InFlight, progress.Overwrite, progress.Label))
        {
            result = await dispatcher.RunAsync(arrivals, sender, recorder, options.DrainTimeout, cancellationToken).ConfigureAwait(false);
        }

        // The offered window is the whole duration unless the request cap or a cancel cut it short.
        var window = result.Cancelled || arrivals.Count >= options.MaxRequests ? arrivals.Last : options.Duration;
        var facts = new RunFacts(
            startedAt,
            options.Transport == Transport.TransportKind.Rest ? "rest" : "grpc",
            options.Target.ToString(),
            options.Model,
            options.ModelVersion,
            options.Schedule.Describe(),
            options.Arrivals == ArrivalProcess.Poisson ? "poisson" : "uniform",
            options.Seed,
            options.Candidates.Describe(),
            workload.Pool.MeanCandidates,
            workload.Source,
            window,
            options.SloMs ?? workload.ModelSloMs,
            result.Sent,
            result.Abandoned,
            result.Cancelled);
        return SummaryBuilder.Build(recorder.Snapshot(), facts);
    }

    /// <summary>Calls sent one at a time, each awaited, before the warm-up's traffic at rate.</summary>
    internal const int PrimingCalls = 32;

    /// <summary>
    /// Unrecorded traffic to open connections and warm both sides: first <see cref="PrimingCalls"/> calls
    /// one at a time, then the warm-up duration at the schedule's starting rate. The one-at-a-time calls
    /// compile the client's call path before any rate is offered: without them the first calls each
    /// compiled it in turn, the dispatcher fell behind, and what it owed went out as one burst that the
    /// server (rightly) refused in part, and that an allocator under test saw as overload.
    /// </summary>
    public static async Task WarmUpAsync(LoadOptions options, IRequestSender sender, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sender);
        if (options.Warmup <= TimeSpan.Zero)
        {
            return;
        }

        await PrimeAsync(sender, cancellationToken).ConfigureAwait(false);
        var rate = options.Schedule.RateAt(TimeSpan.Zero);
        await SendUnrecordedAsync(options, rate > 0 ? rate : options.Schedule.PeakRatePerSecond, sender, time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The <see cref="PrimingCalls"/> calls one at a time, each awaited (see <see cref="WarmUpAsync"/>).</summary>
    public static async Task PrimeAsync(IRequestSender sender, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sender);
        for (var call = 0; call < PrimingCalls && !cancellationToken.IsCancellationRequested; call++)
        {
            await sender.SendAsync(call, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Open-loop traffic at a steady rate for the options' warm-up duration, not recorded.</summary>
    public static async Task SendUnrecordedAsync(
        LoadOptions options, double ratePerSecond, IRequestSender sender, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var schedule = new SteadySchedule(ratePerSecond);
        var arrivals = ArrivalGenerator.IntendedSendTimes(schedule, options.Arrivals, options.Warmup, options.MaxRequests, options.Seed ^ 0x5eed);
        var dispatcher = new OpenLoopDispatcher(time, options.MaxInFlight);
        await dispatcher.RunAsync(arrivals, sender, new RunRecorder(), options.DrainTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Passes arrivals through while counting them and keeping the last one.</summary>
    private sealed class ArrivalCounter(IEnumerable<TimeSpan> inner) : IEnumerable<TimeSpan>
    {
        public long Count { get; private set; }

        public TimeSpan Last { get; private set; }

        public IEnumerator<TimeSpan> GetEnumerator()
        {
            foreach (var arrival in inner)
            {
                Count++;
                Last = arrival;
                yield return arrival;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
