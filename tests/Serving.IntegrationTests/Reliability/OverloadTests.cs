using System.Net.Http;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.Contracts.Ranking.V1;
using Xunit.Abstractions;

namespace Serving.IntegrationTests.Reliability;

/// <summary>Runs alone: a minute of overload would distort every test beside it, and they it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OverloadRunsAlone : ICollectionFixture<HostProcess>
{
    public const string Name = "overload";
}

/// <summary>
/// The shipped server (its own process, the shipped 10 ms SLO and default admission) offered three
/// times what it can answer for a minute, from an open-loop .NET client on the other core.
/// </summary>
[Collection(OverloadRunsAlone.Name)]
public class OverloadTests(HostProcess server, ITestOutputHelper output)
{
    private const string Model = "criteo-deepfm";
    private const int Candidates = 300;
    private static readonly TimeSpan Overload = TimeSpan.FromSeconds(60);

    /// <summary>The capacity probe's offered rate: past one core's capacity for 300-candidate requests, within what it can refuse.</summary>
    private const double ProbePerSecond = 2000;

    /// <summary>
    /// The most this test offers: a refusal costs CPU too (reading a 120 KB request), and past about
    /// this rate one core spends itself refusing; the report says how many times capacity it was.
    /// </summary>
    private const double MaxOfferedPerSecond = 2400;

    [Fact]
    public async Task Three_times_the_capacity_for_a_minute_fails_nothing_but_refusals_and_recovers()
    {
        if (!server.Pinned || !OperatingSystem.IsLinux())
        {
            await RunAsync();
            return;
        }

        // Every thread on core 1: the server has core 0 (ProcessPinning says why every thread).
        using var pinning = ProcessPinning.Pin(mask: 2);
        output.WriteLine($"client: {pinning.PinnedThreads} threads pinned to core 1");
        await RunAsync();
    }

    private async Task RunAsync()
    {
        using var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true };
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}", new GrpcChannelOptions { HttpHandler = handler });
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.AdminPort}") };
        var client = new RankingService.RankingServiceClient(channel);
        var pool = Enumerable.Range(0, 64).Select(i => Requests.Synthetic(Model, Candidates, seed: i)).ToList();
        var load = new OpenLoopClient(channel.CreateCallInvoker(), pool.Select(r => r.ToByteArray()).ToList());
        for (var i = 0; i < 200; i++)
        {
            try
            {
                await client.RankAsync(pool[i % pool.Count]); // compile the client's paths before anything is measured
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
            {
                // A cold path may miss 10 ms; that is what the warm-up is for.
            }
        }

        // Capacity: what the server answers OK per second when offered more than it can take (it
        // refuses the rest and keeps its SLO for what it takes): its best second after the first
        // two. A fresh server's ingress limit falls to its floor in the first second of overload
        // and some runs answer 130-300 OK/s for two or three seconds before ~1,000; a mean over
        // those seconds read 244-536 OK/s, and three times that did not overload the server.
        var probe = load.Run(ProbePerSecond, TimeSpan.FromSeconds(8));
        await probe.Answered.WaitAsync(TimeSpan.FromSeconds(60));
        var capacity = (double)Enumerable.Range(2, 6).Max(second => probe.InSecond(second, StatusCode.OK));
        var rate = Math.Min(3 * capacity, MaxOfferedPerSecond);

        var probeMetrics = await admin.GetStringAsync("/metrics");
        var before = ServerHistogram.Read(probeMetrics, Model);
        var baseline = server.WorkingSetBytes();
        using var memory = new PeakWorkingSet(server);
        var overload = load.Run(rate, Overload);
        await overload.Answered.WaitAsync(TimeSpan.FromSeconds(60));
        var peakBytes = memory.Stop();
        var afterMetrics = await admin.GetStringAsync("/metrics");
        var after = ServerHistogram.Read(afterMetrics, Model);

        // The load drops to 50 req/s: from its fourth second on, everything is answered OK (recovered
        // within 5 s is the goal; under 1 s is what most runs here show, some up to 3 s: 6 and 14
        // calls refused in seconds 1 and 2 once, while the admission's estimates came down).
        var recovery = load.Run(50, TimeSpan.FromSeconds(8));
        await recovery.Answered.WaitAsync(TimeSpan.FromSeconds(60));

        var allocator = await admin.GetStringAsync("/v1/allocator");
        var recoveryMetrics = await admin.GetStringAsync("/metrics");
        var accepted = overload[StatusCode.OK];
        var p99Seconds = after.Quantile(before, 0.99); // as Prometheus' histogram_quantile interpolates it
        output.WriteLine($"server pinned to core 0: {server.Pinned}; capacity {capacity:0} OK/s ({probe}); offered {rate:0} req/s ({rate / capacity:0.0}x) for {Overload.TotalSeconds:0} s: {overload}");
        output.WriteLine($"accepted p99 (server side) {p99Seconds * 1000:0.##} ms interpolated, bucket bound {after.QuantileUpperBound(before, 0.99) * 1000:0.###} ms, p50 {after.Quantile(before, 0.5) * 1000:0.##} ms over {after.CountSince(before):0} answered; server working set {baseline / 1048576.0:0} MiB before, {peakBytes / 1048576.0:0} MiB at most; recovery: {recovery}");
        foreach (var (detail, count) in overload.LateBy)
        {
            output.WriteLine($"DEADLINE_EXCEEDED x{count}: {detail}");
        }

        for (var second = 0; second < 8; second++)
        {
            output.WriteLine($"probe second {second}: " + string.Join(", ", probe.ByStatus.Keys.Select(s => $"{s}={probe.InSecond(second, s)}"))
                + string.Concat(probe.RefusedBy.Where(r => r.Key.Second == second).Select(r => $", refused {r.Key.Reason} x{r.Value}")));
        }

        for (var second = 0; second < 8; second++)
        {
            output.WriteLine($"recovery second {second}: " + string.Join(", ", recovery.ByStatus.Keys.Select(s => $"{s}={recovery.InSecond(second, s)}"))
                + string.Concat(recovery.RefusedBy.Where(r => r.Key.Second == second).Select(r => $", refused {r.Key.Reason} x{r.Value}")));
        }

        output.WriteLine("after the probe: " + MetricLines(probeMetrics, "serving_ingress_", "serving_rejections_total", "serving_controller_", "process_cpu_seconds_total"));
        string[] gc = ["dotnet_gc_pause_seconds_total", "dotnet_collection_count_total"];
        output.WriteLine("GC after the overload: " + MetricLines(afterMetrics, gc) + "; after the recovery: " + MetricLines(recoveryMetrics, gc));
        output.WriteLine("allocator after the recovery: " + allocator);
        foreach (var note in overload.Notes.Concat(recovery.Notes))
        {
            output.WriteLine(note);
        }

        // Three times the capacity, or the 2,400 req/s cap when that is less (a probe measured up to
        // 1,638 OK/s: 1.5x); the refused share below is what shows the server was overloaded.
        Assert.True(overload[StatusCode.ResourceExhausted] > overload.Total / 20, "the server was overloaded: it refused calls all along");
        Assert.Empty(overload.Notes); // no UNAVAILABLE (connection reset), INTERNAL, or refusal without its details
        Assert.Equal(overload.Total, accepted + overload[StatusCode.ResourceExhausted] + overload[StatusCode.DeadlineExceeded]);
        // Late answers among the accepted: 0.1-0.5% in runs here (docs/reliability.md); the test allows 1%.
        Assert.True(overload[StatusCode.DeadlineExceeded] <= accepted / 100, $"at most 1% of the accepted calls late: {overload[StatusCode.DeadlineExceeded]} of {accepted}");
        // The goal is the budget itself (10 ms); on one saturated core the answered calls' p99 comes
        // out at 9.9-11.2 ms on a quiet machine and up to 15 ms on a busy one (docs/reliability.md).
        // The test holds the server to twice the budget: what queueing behind refusals would break.
        Assert.True(p99Seconds <= 0.020, $"accepted calls' p99 within 2x the 10 ms budget on the server side: {p99Seconds * 1000} ms");
        Assert.True(peakBytes < 1024L * 1024 * 1024, $"server peak working set {peakBytes / 1048576} MiB under 1 GiB");
        // Recovery: from second 3 of the calm, every call OK in at least three of its five seconds,
        // and the others one run of consecutive seconds: at most one lone stall, which can straddle
        // two seconds. Most runs are clean from second 0; CI runs have shown the ingress limit
        // refusing through second 3 once, a lone stall refusing 25 calls in second 7 once, and one
        // refusing 38 + 1 in seconds 3-4 after three clean seconds once (docs/reliability.md).
        var failedSeconds = Enumerable.Range(3, 5)
            .Select(second => (Second: second, Failed: recovery.ByStatus.Keys.Where(s => s != StatusCode.OK).Sum(s => recovery.InSecond(second, s))))
            .Where(f => f.Failed > 0)
            .ToList();
        var oneStall = failedSeconds.Count <= 2 && (failedSeconds.Count < 2 || failedSeconds[1].Second == failedSeconds[0].Second + 1);
        Assert.True(oneStall, "recovered: calls not OK in " + string.Join(", ", failedSeconds.Select(f => $"second {f.Second} ({f.Failed})")));
    }

    /// <summary>The samples of a /metrics text whose names start with one of <paramref name="prefixes"/>, on one line.</summary>
    private static string MetricLines(string metrics, params string[] prefixes) => string.Join("; ", metrics.Split('\n')
        .Where(line => prefixes.Any(prefix => line.StartsWith(prefix, StringComparison.Ordinal))));

    /// <summary>Samples the server's working set every 100 ms on a thread of its own.</summary>
    private sealed class PeakWorkingSet : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peak;

        public PeakWorkingSet(HostProcess server)
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    _peak = Math.Max(_peak, server.WorkingSetBytes());
                    Thread.Sleep(100);
                }
            })
            { IsBackground = true };
            _thread.Start();
        }

        public long Stop()
        {
            _stop = true;
            _thread.Join();
            return _peak;
        }

        public void Dispose() => _stop = true;
    }
}
