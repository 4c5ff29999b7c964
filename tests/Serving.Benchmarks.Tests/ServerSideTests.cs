using Serving.LoadTest.Recording;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Requests;

namespace Serving.Benchmarks.Tests;

/// <summary>What the probe reads from the server: /metrics sums, /proc CPU time, and each OK response's Timing.</summary>
public sealed class ServerSideTests
{
    private const string Metrics = """
        # HELP serving_compute_duration_seconds Model execution time.
        # TYPE serving_compute_duration_seconds histogram
        serving_compute_duration_seconds_sum{device="cpu",model="criteo-deepfm"} 1.5
        serving_compute_duration_seconds_sum{device="gpu",model="criteo-deepfm"} 0.25
        serving_compute_duration_seconds_count{device="cpu",model="criteo-deepfm"} 40
        serving_batch_rows_sum 4000
        serving_batch_rows_count 40
        serving_rejections_total{reason="queue"} 3
        """;

    [Fact]
    public void MetricsAreSummedOverTheirLabels()
    {
        var sums = ServerMetrics.Parse(Metrics);

        Assert.Equal(1.75, sums["serving_compute_duration_seconds_sum"]);
        Assert.Equal(40, sums["serving_compute_duration_seconds_count"]);
        Assert.Equal(4000, sums["serving_batch_rows_sum"]);
        Assert.False(sums.ContainsKey("# HELP serving_compute_duration_seconds"));
    }

    [Fact]
    public void TheDeltaIsAfterMinusBeforeAndAMissingMetricCountsAsZero()
    {
        var before = ServerMetrics.Parse("serving_batch_rows_sum 1000\nserving_batch_rows_count 10\n");
        var delta = ServerMetrics.Delta(before, ServerMetrics.Parse(Metrics));

        Assert.Equal(3000, delta.BatchRowsSum);
        Assert.Equal(30, delta.BatchCount);
        Assert.Equal(1.75, delta.ComputeSecondsSum);
        Assert.Equal(3, delta.Rejections);
        Assert.Equal(0, delta.DeadlineExceeded);
    }

    [Fact]
    public void CpuSecondsAreUserPlusSystemTicksEvenWhenTheNameHasSpacesAndParentheses()
    {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
        const string stat = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 30 0";
        Assert.Equal(3.25, ProcessCpu.FromStat(stat));
    }

    [Fact]
    public void SchedstatGivesTheNanosecondsOnCpu() =>
        Assert.Equal(265720608, ProcessCpu.FromSchedstat("265720608 539336447 945\n"));

    [Fact]
    public void CpuBetweenReadingsSumsEveryThreadsNanosecondsWhenNoThreadExited()
    {
        var before = new CpuReading(1.00, new Dictionary<int, long> { [1] = 1_000_000, [2] = 5_000_000 });
        var after = new CpuReading(1.01, new Dictionary<int, long> { [1] = 3_000_000, [2] = 5_500_000, [3] = 250_000 }); // thread 3 started during the run

        var (seconds, source) = CpuReading.Between(before, after);

        Assert.Equal(0.00275, seconds, 12); // 2 + 0.5 + 0.25 ms
        Assert.Equal(CpuReading.Schedstat, source);
    }

    [Fact]
    public void CpuBetweenReadingsFallsBackToTicksWhenAThreadExitedOrSchedstatIsMissing()
    {
        var before = new CpuReading(1.00, new Dictionary<int, long> { [1] = 1_000_000, [2] = 5_000_000 });
        var exited = new CpuReading(1.05, new Dictionary<int, long> { [1] = 3_000_000 });

        Assert.Equal((0.05, CpuReading.Stat), Round(CpuReading.Between(before, exited)));
        Assert.Equal((0.05, CpuReading.Stat), Round(CpuReading.Between(before, exited with { ThreadNanoseconds = null })));
    }

    [Fact]
    public void CpuPerCallIsKeptAtLowLoadOnlyWhenItWasReadInNanoseconds()
    {
        // 2% of a core over 4 s: 80 ms, 100 µs per call over 800 calls.
        var ticks = new ProbeResult { DurationSeconds = 4, Ok = 800, ServerCpuSeconds = 0.08, ServerIdleCpuPerSecond = 0 };

        Assert.Null(Breakdown.CpuUsPerOk(ticks));
        Assert.Equal(100, Breakdown.CpuUsPerOk(ticks with { ServerCpuSource = CpuReading.Schedstat })!.Value, 9);
    }

    private static (double, string) Round((double Seconds, string Source) value) => (Math.Round(value.Seconds, 9), value.Source);

    [Fact]
    public void ServerTimingCountsOnlyOkResponsesOfTheMeasuredRun()
    {
        var timing = new ServerTimingRecorder();
        var request = new PooledRequest(new RankRequest(), CandidateCount: 2, JsonBody: null);

        timing.OnResponse(request, Response(scores: 2, totalMs: 100)); // warm-up: before Start
        timing.Start();
        timing.OnResponse(request, Response(scores: 2, totalMs: 2, queueMs: 0.5, computeMs: 1, batchRows: 10));
        timing.OnResponse(request, Response(scores: 2, totalMs: 4, queueMs: 1.5, computeMs: 2, batchRows: 21));
        timing.OnResponse(request, Response(scores: 1, totalMs: 50)); // BAD_RESPONSE: a score missing

        Assert.Equal(new ServerTimingMeans(3, 1, 1.5, 15.5), timing.Means());
        Assert.Equal(4, timing.OkRows);
        Assert.Equal(2, timing.ServerTotal().TotalCount);
    }

    [Fact]
    public void WithoutOkResponsesThereAreNoMeans()
    {
        var timing = new ServerTimingRecorder();
        timing.Start();
        Assert.Null(timing.Means());
        Assert.Equal(0, timing.OkRows);
    }

    private static RankResponse Response(int scores, double totalMs, double queueMs = 0, double computeMs = 0, int batchRows = 1)
    {
        var response = new RankResponse
        {
            Timing = new Timing { TotalMs = totalMs, QueueMs = queueMs, ComputeMs = computeMs, BatchRows = batchRows },
        };
        response.Scores.AddRange(Enumerable.Repeat(0.5f, scores));
        return response;
    }
}
