using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using HdrHistogram;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;
using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>
/// An open-loop Poisson probe that records what the standard load generator does not split out:
/// latency (from the intended send time) <em>per status</em>, so accepted and rejected requests are
/// judged separately under overload, and the server's <c>Timing</c> of every OK response plus
/// the change in the server's /metrics and CPU time over the run, for the time breakdown.
/// Loopback targets only; bounded by --duration and the in-flight cap.
/// </summary>
public static class ProbeCommand
{
    private const long MaxMicros = 60_000_000;

    public static async Task<int> RunAsync(string[] args)
    {
        var c = CultureInfo.InvariantCulture;
        var target = new Uri(RawOrtCommand.Arg(args, "--target") ?? "http://127.0.0.1:8081");
        if (!target.IsLoopback)
        {
            Console.Error.WriteLine($"refusing non-loopback target {target}");
            return 2;
        }

        var rate = double.Parse(RawOrtCommand.Arg(args, "--rate") ?? "100", c);
        var duration = double.Parse(RawOrtCommand.Arg(args, "--duration") ?? "10", c);
        var warmup = double.Parse(RawOrtCommand.Arg(args, "--warmup") ?? "1", c);
        var candidates = RawOrtCommand.Arg(args, "--candidates") ?? "lognormal:165,1.0,1024";
        var data = RawOrtCommand.Arg(args, "--data");
        var config = RawOrtCommand.Arg(args, "--config") ?? RepoPaths.DefaultModelConfig;
        var maxInFlight = int.Parse(RawOrtCommand.Arg(args, "--max-in-flight") ?? "1000", c);
        var seed = int.Parse(RawOrtCommand.Arg(args, "--seed") ?? "1", c);
        var metricsUrl = RawOrtCommand.Arg(args, "--metrics");
        var serverPid = RawOrtCommand.Arg(args, "--server-pid") is { } p ? int.Parse(p, c) : (int?)null;
        var output = RawOrtCommand.Arg(args, "--out");
        var label = RawOrtCommand.Arg(args, "--label") ?? "probe";

        // --call list: ListModels instead of Rank, the transport floor (gRPC over HTTP/2, no features, no batching, no compute).
        var listOnly = RawOrtCommand.Arg(args, "--call") == "list";

        var spec = ModelConfigLoader.LoadFile(config);
        var sloMs = spec.SloP99.TotalMilliseconds;
        // Encoded once, as the load generator sends them (RequestPool encodes every entry up front).
        var pool = new RequestPool([.. ProbeWorkload.Build(spec, candidates, data, 1024, seed).Select(r => new PooledRequest(r, r.CandidateCount, null))]).Items;
        var meanCandidates = pool.Average(r => r.CandidateCount);

        using var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan };
        using var channel = GrpcChannel.ForAddress(target, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 << 20 });
        var client = new Client(new RankingService.RankingServiceClient(channel), channel.CreateCallInvoker());

        // Priming, always: calls one at a time compile the client's call path (tiered compilation is
        // off) before any rate is offered, so the first second is not a burst of what a cold client
        // owed. Unrecorded, like the warm-up.
        for (var call = 0; call < Serving.LoadTest.RunSession.PrimingCalls; call++)
        {
            await SendAsync(client, pool[call % pool.Count], Stopwatch.GetTimestamp(), null, TimeSpan.Zero, listOnly, static () => { }).ConfigureAwait(false);
        }

        if (warmup > 0)
        {
            await OpenLoopAsync(client, pool, Math.Max(rate / 4, 10), warmup, maxInFlight, seed + 1000, sloMs, listOnly, null).ConfigureAwait(false);
            await Task.Delay(500).ConfigureAwait(false);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        // The server's CPU use with no load (timers, metrics, runtime), subtracted from the run's.
        double? idleCpuPerSecond = null;
        if (serverPid is { } idlePid && CpuSeconds(idlePid) is { } idle0)
        {
            var idleWatch = Stopwatch.StartNew();
            await Task.Delay(1000).ConfigureAwait(false);
            idleCpuPerSecond = (CpuSeconds(idlePid) - idle0) / idleWatch.Elapsed.TotalSeconds;
        }

        var metricsBefore = metricsUrl is null ? null : await ScrapeAsync(http, metricsUrl).ConfigureAwait(false);
        var cpuBefore = serverPid is { } pid0 ? CpuSeconds(pid0) : null;
        var record = new Recording();
        var run = await OpenLoopAsync(client, pool, rate, duration, maxInFlight, seed, sloMs, listOnly, record).ConfigureAwait(false);
        var cpuAfter = serverPid is { } pid1 ? CpuSeconds(pid1) : null;
        var metricsAfter = metricsUrl is null ? null : await ScrapeAsync(http, metricsUrl).ConfigureAwait(false);

        var statuses = new JsonObject();
        var service = new JsonObject();
        long ok;
        long rejected;
        lock (record)
        {
            foreach (var (status, histogram) in record.ByStatus.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                statuses[status] = Summarise(histogram);
            }

            foreach (var (status, histogram) in record.ServiceByStatus.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                service[status] = Summarise(histogram);
            }

            ok = record.ByStatus.TryGetValue("OK", out var okHist) ? okHist.TotalCount : 0;
            rejected = record.ByStatus.TryGetValue("RESOURCE_EXHAUSTED", out var rej) ? rej.TotalCount : 0;
        }

        var all = new LongHistogram(MaxMicros, 3);
        foreach (var h in record.ByStatus.Values)
        {
            all.Add(h);
        }

        var doc = new JsonObject
        {
            ["label"] = label,
            ["target"] = target.ToString(),
            ["candidates"] = candidates,
            ["meanCandidatesPerRequest"] = Math.Round(meanCandidates, 2),
            ["workload"] = data is null ? "synthetic" : "replay " + data,
            ["sloMs"] = sloMs,
            ["offeredRate"] = rate,
            ["durationSeconds"] = duration,
            ["offered"] = run.Offered,
            ["sent"] = run.Sent,
            ["dropped"] = run.Dropped,
            ["unanswered"] = run.Unanswered,
            ["completed"] = all.TotalCount,
            ["ok"] = ok,
            ["okRate"] = Math.Round(ok / duration, 1),
            ["okRowsPerSecond"] = Math.Round(record.OkRows / duration, 1),
            ["rejectedShare"] = run.Offered == 0 ? 0 : Math.Round((double)rejected / run.Offered, 5),
            ["okAfterSlo"] = record.OkLate,
            ["latencyMs"] = Summarise(all),
            ["latencyMsByStatus"] = statuses,

            // From the moment the call actually left (the generator's own lateness excluded).
            ["serviceMsByStatus"] = service,
            ["sendLagMs"] = Summarise(record.SendLag),
            ["serverTimingMeansOk"] = record.TimingCount == 0 ? null : new JsonObject
            {
                ["totalMs"] = Math.Round(record.TotalMs / record.TimingCount, 4),
                ["queueMs"] = Math.Round(record.QueueMs / record.TimingCount, 4),
                ["computeMs"] = Math.Round(record.ComputeMs / record.TimingCount, 4),
                ["batchRows"] = Math.Round(record.BatchRows / record.TimingCount, 1),
            },
            ["serverTotalMsOk"] = Summarise(record.ServerTotal),
        };
        if (cpuBefore is { } cb && cpuAfter is { } ca)
        {
            doc["serverCpuSeconds"] = Math.Round(ca - cb, 4);
            doc["serverIdleCpuPerSecond"] = idleCpuPerSecond is { } ic ? Math.Round(ic, 4) : null;
        }

        if (metricsBefore is not null && metricsAfter is not null)
        {
            var delta = new JsonObject();
            foreach (var name in new[]
            {
                "serving_compute_duration_seconds_sum", "serving_compute_duration_seconds_count",
                "serving_queue_duration_seconds_sum", "serving_batch_rows_sum", "serving_batch_rows_count",
                "serving_request_duration_seconds_sum", "serving_request_duration_seconds_count",
                "serving_rejections_total", "serving_deadline_exceeded_total",
            })
            {
                delta[name] = Math.Round(metricsAfter.GetValueOrDefault(name) - metricsBefore.GetValueOrDefault(name), 6);
            }

            doc["metricsDelta"] = delta;
        }

        var json = doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await File.WriteAllTextAsync(output, json).ConfigureAwait(false);
        }

        Console.WriteLine(string.Create(c,
            $"{label}: offered {rate:0}/s for {duration:0.#}s -> ok {ok / duration:0}/s, rejected {100.0 * rejected / Math.Max(1, run.Offered):0.##}%, dropped {run.Dropped}, p99 all {Ms(all, 99)}, p99 ok {statuses["OK"]?["p99"]?.ToString() ?? "-"} ms, send lag p99 {Ms(record.SendLag, 99)}"));
        return 0;
    }

    private sealed record RunCounts(long Offered, long Sent, long Dropped, long Unanswered);

    private sealed class Recording
    {
        public Dictionary<string, LongHistogram> ByStatus { get; } = new(StringComparer.Ordinal);
        public LongHistogram SendLag { get; } = new(MaxMicros, 3);
        public LongHistogram ServerTotal { get; } = new(MaxMicros, 3);
        public Dictionary<string, LongHistogram> ServiceByStatus { get; } = new(StringComparer.Ordinal);
        public double TotalMs { get; set; }
        public double QueueMs { get; set; }
        public double ComputeMs { get; set; }
        public double BatchRows { get; set; }
        public long TimingCount { get; set; }
        public long OkRows { get; set; }
        public long OkLate { get; set; }
    }

    private static async Task<RunCounts> OpenLoopAsync(
        Client client, IReadOnlyList<PooledRequest> pool, double rate, double seconds,
        int maxInFlight, int seed, double sloMs, bool listOnly, Recording? record)
    {
        var random = new Random(seed);
        var inFlight = 0;
        long offered = 0, sent = 0, dropped = 0;
        var pending = new List<Task>(capacity: (int)Math.Min(rate * seconds * 1.2, 2_000_000));
        var slo = TimeSpan.FromMilliseconds(sloMs);
        var start = Stopwatch.GetTimestamp();
        var due = 0.0;
        var index = 0;

        // The sender runs on its own thread: it waits for each intended time and fires the call
        // without awaiting it; completions are recorded on the thread pool. Nothing blocks a pool
        // thread: pinned to one core, the pool starts with a single thread.
        var senderDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sender = new Thread(() =>
        {
            try
            {
                Send();
            }
            finally
            {
                senderDone.TrySetResult();
            }
        })
        { IsBackground = true, Name = "probe-sender" };
        sender.Start();
        await senderDone.Task.ConfigureAwait(false);

        var all = Task.WhenAll(pending);
        var finished = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        var unanswered = finished == all ? 0 : pending.Count(t => !t.IsCompleted);
        return new RunCounts(offered, sent, dropped, unanswered);

        void Send()
        {
            while (true)
            {
                due += -Math.Log(1.0 - random.NextDouble()) / rate;
                if (due >= seconds)
                {
                    break;
                }

                WaitUntil(start, due);
                offered++;
                if (Volatile.Read(ref inFlight) >= maxInFlight)
                {
                    dropped++;
                    continue;
                }

                var intended = start + (long)(due * Stopwatch.Frequency);
                if (record is not null)
                {
                    var lag = Stopwatch.GetTimestamp() - intended;
                    lock (record)
                    {
                        record.SendLag.RecordValue(Math.Clamp(lag * 1_000_000 / Stopwatch.Frequency, 0, MaxMicros));
                    }
                }

                var request = pool[index++ % pool.Count];
                Interlocked.Increment(ref inFlight);
                sent++;
                pending.Add(SendAsync(client, request, intended, record, slo, listOnly, () => Interlocked.Decrement(ref inFlight)));
            }
        }
    }

    private static async Task SendAsync(
        Client client, PooledRequest request, long intended, Recording? record, TimeSpan slo, bool listOnly, Action done)
    {
        string status;
        RankResponse? response = null;
        var sentAt = Stopwatch.GetTimestamp();
        try
        {
            if (listOnly)
            {
                await client.Generated.ListModelsAsync(new ListModelsRequest()).ResponseAsync.ConfigureAwait(false);
                status = "OK";
            }
            else
            {
                response = await client.Invoker.AsyncUnaryCall(GrpcRankTransport.RankMethod, null, default, request).ResponseAsync.ConfigureAwait(false);
                status = response.Scores.Count == request.CandidateCount ? "OK" : "BAD_RESPONSE";
            }
        }
        catch (RpcException ex)
        {
            status = Label(ex.StatusCode);
        }
        catch (HttpRequestException)
        {
            status = "CONNECTION_ERROR";
        }
        finally
        {
            done();
        }

        if (record is null)
        {
            return;
        }

        var latencyTicks = Stopwatch.GetTimestamp() - intended;
        var micros = Math.Clamp(latencyTicks * 1_000_000 / Stopwatch.Frequency, 0, MaxMicros);
        var serviceMicros = Math.Clamp((Stopwatch.GetTimestamp() - sentAt) * 1_000_000 / Stopwatch.Frequency, 0, MaxMicros);
        lock (record)
        {
            Histogram(record, status).RecordValue(micros);
            Histogram(record.ServiceByStatus, status).RecordValue(serviceMicros);
            if (status == "OK" && response?.Timing is { } t)
            {
                record.OkRows += request.CandidateCount;
                record.TimingCount++;
                record.TotalMs += t.TotalMs;
                record.QueueMs += t.QueueMs;
                record.ComputeMs += t.ComputeMs;
                record.BatchRows += t.BatchRows;
                record.ServerTotal.RecordValue(Math.Clamp((long)(t.TotalMs * 1000), 0, MaxMicros));
                if (micros > slo.TotalMicroseconds)
                {
                    record.OkLate++;
                }
            }
        }
    }

    private static LongHistogram Histogram(Recording record, string status) => Histogram(record.ByStatus, status);

    private static LongHistogram Histogram(Dictionary<string, LongHistogram> byStatus, string status)
    {
        if (!byStatus.TryGetValue(status, out var h))
        {
            h = new LongHistogram(MaxMicros, 3);
            byStatus[status] = h;
        }

        return h;
    }

    /// <summary>
    /// Waits for the intended time as the load generator does (<see cref="Serving.LoadTest.Dispatch.SleepThenSpinPacer"/>:
    /// 1 ms sleeps, then yielding the core), so arrivals leave within microseconds of their time.
    /// </summary>
    private static void WaitUntil(long start, double dueSeconds) =>
        Pacer.WaitUntilAsync(start, TimeSpan.FromSeconds(dueSeconds), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    private static readonly Serving.LoadTest.Dispatch.SleepThenSpinPacer Pacer = new();

    private sealed record Client(RankingService.RankingServiceClient Generated, CallInvoker Invoker);

    private static string Label(StatusCode code) => code switch
    {
        StatusCode.OK => "OK",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.Cancelled => "CANCELLED",
        _ => code.ToString().ToUpperInvariant(),
    };

    private static JsonObject? Summarise(LongHistogram h)
    {
        if (h.TotalCount == 0)
        {
            return new JsonObject { ["count"] = 0 };
        }

        return new JsonObject
        {
            ["count"] = h.TotalCount,
            ["p50"] = Math.Round(h.GetValueAtPercentile(50) / 1000.0, 3),
            ["p90"] = Math.Round(h.GetValueAtPercentile(90) / 1000.0, 3),
            ["p99"] = Math.Round(h.GetValueAtPercentile(99) / 1000.0, 3),
            ["p999"] = Math.Round(h.GetValueAtPercentile(99.9) / 1000.0, 3),
            ["max"] = Math.Round(h.GetMaxValue() / 1000.0, 3),
            ["mean"] = Math.Round(h.GetMean() / 1000.0, 3),
        };
    }

    private static string Ms(LongHistogram h, double q) =>
        h.TotalCount == 0 ? "-" : (h.GetValueAtPercentile(q) / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    private static async Task<Dictionary<string, double>> ScrapeAsync(HttpClient http, string url)
    {
        var text = await http.GetStringAsync(new Uri(url)).ConfigureAwait(false);
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var name = line[..(brace >= 0 && brace < space ? brace : space)];
            if (double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return sums;
    }

    /// <summary>User + system CPU seconds of a process, from /proc (Linux).</summary>
    private static double? CpuSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

            // After "(comm) ", field 3 (state) is index 0; utime and stime are fields 14 and 15.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
