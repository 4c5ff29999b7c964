using HdrHistogram;
using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Transport;

namespace Serving.Benchmarks;

/// <summary>Facts of a probe run that the recording does not hold.</summary>
internal sealed record ProbeFacts(ProbeOptions Options, double MeanCandidatesPerRequest, double SloMs, DispatchResult Dispatch);

/// <summary>What was read from the server around the run; each part null when not asked for or not readable.</summary>
/// <param name="Timing">The server's timing of the OK responses.</param>
/// <param name="CpuSeconds">The server's CPU seconds over the run.</param>
/// <param name="IdleCpuPerSecond">Its CPU seconds per second when idle, read the same way.</param>
/// <param name="Metrics">The growth of its /metrics.</param>
/// <param name="CpuSource">Where <paramref name="CpuSeconds"/> came from: <c>schedstat</c> (ns per thread) or <c>stat</c> (10 ms ticks).</param>
internal sealed record ServerSide(ServerTimingRecorder Timing, double? CpuSeconds, double? IdleCpuPerSecond, MetricsDelta? Metrics, string? CpuSource = null);

/// <summary>Turns the recorder's and the server's view of a probe run into its <see cref="ProbeResult"/>.</summary>
internal static class ProbeResultBuilder
{
    private static readonly string Rejected = StatusLabels.ForGrpc(Grpc.Core.StatusCode.ResourceExhausted);

    public static ProbeResult Build(RunRecording recording, ProbeFacts facts, ServerSide server)
    {
        ArgumentNullException.ThrowIfNull(recording);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(server);
        var options = facts.Options;
        var seconds = options.Duration.TotalSeconds;
        var ok = recording.LatencyByStatus.GetValueOrDefault(StatusLabels.Ok)?.TotalCount ?? 0;
        var rejected = recording.LatencyByStatus.GetValueOrDefault(Rejected)?.TotalCount ?? 0;
        return new ProbeResult
        {
            Label = options.Label,
            Target = options.Target.ToString(),
            Candidates = options.Candidates,
            MeanCandidatesPerRequest = Math.Round(facts.MeanCandidatesPerRequest, 2),
            Workload = options.DataPath is null ? "synthetic" : "replay " + options.DataPath,
            SloMs = facts.SloMs,
            OfferedRate = options.RatePerSecond,
            DurationSeconds = seconds,
            Offered = recording.Offered,
            Sent = facts.Dispatch.Sent,
            Dropped = recording.Dropped,
            Unanswered = facts.Dispatch.Abandoned,
            Completed = recording.Completed,
            Ok = ok,
            OkRate = Math.Round(ok / seconds, 1),
            OkRowsPerSecond = Math.Round(server.Timing.OkRows / seconds, 1),
            RejectedShare = recording.Offered == 0 ? 0 : Math.Round((double)rejected / recording.Offered, 5),
            OkAfterSlo = recording.SucceededAfterObjective,
            LatencyMs = Summarise(recording.Latency),
            LatencyMsByStatus = recording.LatencyByStatus.ToDictionary(p => p.Key, p => Summarise(p.Value), StringComparer.Ordinal),
            ServiceMsByStatus = recording.ServiceTimeByStatus.ToDictionary(p => p.Key, p => Summarise(p.Value), StringComparer.Ordinal),
            SendLagMs = Summarise(recording.SendLag),
            ServerTimingMeansOk = server.Timing.Means(),
            ServerTotalMsOk = Summarise(server.Timing.ServerTotal()),
            ServerCpuSeconds = server.CpuSeconds is { } cpu ? Math.Round(cpu, server.CpuSource == CpuReading.Schedstat ? 6 : 4) : null,
            ServerIdleCpuPerSecond = server.CpuSeconds is not null && server.IdleCpuPerSecond is { } idle ? Math.Round(idle, server.CpuSource == CpuReading.Schedstat ? 6 : 4) : null,
            ServerCpuSource = server.CpuSeconds is null ? null : server.CpuSource,
            MetricsDelta = server.Metrics,
        };
    }

    /// <summary>Count and percentiles in ms, to the µs (the histograms' unit).</summary>
    public static ProbeLatencyMs Summarise(HistogramBase histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        if (histogram.TotalCount == 0)
        {
            return ProbeLatencyMs.Empty;
        }

        static double? Ms(double? value) => value is { } v ? Math.Round(v, 3) : null;
        return new ProbeLatencyMs(
            histogram.TotalCount,
            Ms(LatencyHistograms.PercentileMs(histogram, 50)),
            Ms(LatencyHistograms.PercentileMs(histogram, 90)),
            Ms(LatencyHistograms.PercentileMs(histogram, 99)),
            Ms(LatencyHistograms.PercentileMs(histogram, 99.9)),
            Ms(LatencyHistograms.MaxMs(histogram)),
            Ms(LatencyHistograms.MeanMs(histogram)));
    }
}
