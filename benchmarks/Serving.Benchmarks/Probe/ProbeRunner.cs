using System.Globalization;
using Serving.LoadTest;
using Serving.LoadTest.Arrivals;
using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;
using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>
/// One probe run on the load generator's parts: its request pool, gRPC transport, open-loop
/// dispatcher (Poisson arrivals, pacing, in-flight cap) and recorder (latency per status from the
/// intended send). Around the run it reads what the generator does not: the server's
/// <c>Timing</c> of every OK response (through the transport's response observer), and the
/// growth of the server's /metrics and of its CPU time, less its CPU use when idle.
/// </summary>
internal static class ProbeRunner
{
    /// <summary>How long stragglers are waited for after the last send before they are cancelled.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The idle server's CPU use is measured over this long before the run.</summary>
    private static readonly TimeSpan IdleCpuWindow = TimeSpan.FromSeconds(1);

    /// <summary>A pause after the warm-up so its last responses and the server's reaction to them settle.</summary>
    private static readonly TimeSpan AfterWarmup = TimeSpan.FromMilliseconds(500);

    private const int PoolSize = 1024;

    public static async Task<ProbeResult> RunAsync(ProbeOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var spec = ModelConfigLoader.LoadFile(options.ModelConfigPath);
        var pool = new RequestPool([.. ProbeWorkload.Build(spec, options.Candidates, options.DataPath, PoolSize, options.Seed)
            .Select(r => new PooledRequest(r, r.CandidateCount, JsonBody: null))]);
        var timing = new ServerTimingRecorder();
        using IRankTransport transport = options.Call switch
        {
            ProbeCall.List => new ListModelsTransport(options.Target),
            ProbeCall.Floor => new GrpcRankTransport(options.Target, deadline: null, observer: null, GrpcMethod.Floor),
            _ => new GrpcRankTransport(options.Target, deadline: null, timing),
        };
        var sender = new PooledRequestSender(pool, transport);

        // Always primed, even without a warm-up: one-at-a-time calls compile the client's call path
        // (tiered compilation is off) before any rate is offered. Unrecorded, like the warm-up.
        await RunSession.PrimeAsync(sender, cancellationToken).ConfigureAwait(false);
        if (options.Warmup > TimeSpan.Zero)
        {
            var warmup = new LoadOptions { Warmup = options.Warmup, MaxInFlight = options.MaxInFlight, Seed = options.Seed + 1000, DrainTimeout = DrainTimeout };
            await RunSession.SendUnrecordedAsync(warmup, Math.Max(options.RatePerSecond / 4, 10), sender, time, cancellationToken).ConfigureAwait(false);
            await Task.Delay(AfterWarmup, time, cancellationToken).ConfigureAwait(false);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var idleCpuPerSecond = options.ServerPid is { } idlePid ? await IdleCpuPerSecondAsync(idlePid, time, cancellationToken).ConfigureAwait(false) : null;
        var metricsBefore = options.MetricsUrl is { } url0 ? await ServerMetrics.ScrapeAsync(http, url0, cancellationToken).ConfigureAwait(false) : null;
        var cpuBefore = options.ServerPid is { } pid0 ? ProcessCpu.Read(pid0) : null;

        var recorder = new RunRecorder(latencyObjective: spec.SloP99);
        var dispatcher = new OpenLoopDispatcher(time, options.MaxInFlight);
        var arrivals = ArrivalGenerator.IntendedSendTimes(
            new SteadySchedule(options.RatePerSecond), ArrivalProcess.Poisson, options.Duration, long.MaxValue, options.Seed);
        timing.Start();
        var dispatch = await dispatcher.RunAsync(arrivals, sender, recorder, DrainTimeout, cancellationToken).ConfigureAwait(false);

        var cpuAfter = options.ServerPid is { } pid1 ? ProcessCpu.Read(pid1) : null;
        var metricsAfter = options.MetricsUrl is { } url1 ? await ServerMetrics.ScrapeAsync(http, url1, cancellationToken).ConfigureAwait(false) : null;

        (double Seconds, string Source)? cpu = cpuBefore is { } before && cpuAfter is { } after ? CpuReading.Between(before, after) : null;
        var server = new ServerSide(
            timing,
            cpu?.Seconds,
            cpu is { } c && idleCpuPerSecond is { } idle && idle.Source == c.Source ? idle.PerSecond : null,
            metricsBefore is not null && metricsAfter is not null ? ServerMetrics.Delta(metricsBefore, metricsAfter) : null,
            cpu?.Source);
        var facts = new ProbeFacts(options, pool.MeanCandidates, spec.SloP99.TotalMilliseconds, dispatch);
        return ProbeResultBuilder.Build(recorder.Snapshot(), facts, server);
    }

    /// <summary>The one line printed after a run.</summary>
    public static string Describe(ProbeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var rejected = result.LatencyMsByStatus.GetValueOrDefault(StatusLabels.ForGrpc(Grpc.Core.StatusCode.ResourceExhausted))?.Count ?? 0;
        var okP99 = result.LatencyMsByStatus.GetValueOrDefault(StatusLabels.Ok)?.P99;
        return string.Create(CultureInfo.InvariantCulture,
            $"{result.Label}: offered {result.OfferedRate:0}/s for {result.DurationSeconds:0.#}s -> ok {result.Ok / result.DurationSeconds:0}/s, rejected {100.0 * rejected / Math.Max(1, result.Offered):0.##}%, dropped {result.Dropped}, p99 all {Ms(result.LatencyMs.P99)}, p99 ok {okP99?.ToString(CultureInfo.InvariantCulture) ?? "-"} ms, send lag p99 {Ms(result.SendLagMs.P99)}");
    }

    /// <summary>The server's CPU seconds per second while nothing is sent (timers, metrics, runtime), subtracted from the run's.</summary>
    /// <remarks>Read the way the run's CPU is then read (<see cref="CpuReading.Between"/>); only subtracted when both came from the same source.</remarks>
    private static async Task<(double PerSecond, string Source)?> IdleCpuPerSecondAsync(int pid, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ProcessCpu.Read(pid) is not { } before)
        {
            return null;
        }

        var start = time.GetTimestamp();
        await Task.Delay(IdleCpuWindow, time, cancellationToken).ConfigureAwait(false);
        if (ProcessCpu.Read(pid) is not { } after)
        {
            return null;
        }

        var (seconds, source) = CpuReading.Between(before, after);
        return (seconds / time.GetElapsedTime(start).TotalSeconds, source);
    }

    private static string Ms(double? value) =>
        value is { } ms ? ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms" : "-";
}
