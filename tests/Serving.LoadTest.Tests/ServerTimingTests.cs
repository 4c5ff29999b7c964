using System.Text.Json;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Reporting;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Tests;

/// <summary>The server's per-response timing, recorded from the responses of the measured run and reported.</summary>
public sealed class ServerTimingTests
{
    [Fact]
    public void OnlyOkResponsesOfTheMeasuredRunAreRecorded()
    {
        var recorder = new ServerTimingRecorder();
        var request = Request(candidates: 3);

        recorder.OnResponse(request, Response(scores: 3, queueMs: 50, computeMs: 50, totalMs: 100, batchRows: 3, "cpu")); // warm-up
        Assert.Null(recorder.Summary());

        recorder.Start();
        recorder.OnResponse(request, Response(scores: 2, queueMs: 50, computeMs: 50, totalMs: 100, batchRows: 3, "cpu")); // a score short: not OK
        recorder.OnResponse(request, new RankResponse { Scores = { 0.1f, 0.2f, 0.3f } }); // no timing
        Assert.Null(recorder.Summary());

        recorder.OnResponse(request, Response(scores: 3, queueMs: 1, computeMs: 2, totalMs: 4, batchRows: 30, "cpu"));
        var summary = recorder.Summary()!;
        Assert.Equal(1, summary.Responses);
        Assert.Equal(4, summary.TotalMs.P99!.Value, precision: 2);
        Assert.Equal(3, recorder.OkRows);
    }

    [Fact]
    public void TheSummaryHasEachPartsDistributionTheMeanBatchAndTheDevices()
    {
        var recorder = new ServerTimingRecorder();
        recorder.Start();
        var request = Request(candidates: 2);
        for (var i = 1; i <= 100; i++)
        {
            // queue 0.1..10 ms, compute 1 ms, total queue + compute + 0.5 ms; every 10th on the GPU.
            recorder.OnResponse(request, Response(scores: 2, queueMs: i / 10.0, computeMs: 1, totalMs: i / 10.0 + 1.5, batchRows: i % 2 == 0 ? 10 : 20, i % 10 == 0 ? "gpu" : "cpu"));
        }

        var summary = recorder.Summary()!;

        Assert.Equal(100, summary.Responses);
        Assert.Equal(5.0, summary.QueueMs.P50!.Value, precision: 2);
        Assert.Equal(9.9, summary.QueueMs.P99!.Value, precision: 2);
        Assert.Equal(1.0, summary.ComputeMs.P99!.Value, precision: 2);
        Assert.Equal(11.4, summary.TotalMs.P99!.Value, precision: 1);
        Assert.Equal(15.0, summary.MeanBatchRows);
        Assert.Equal(new Dictionary<string, long> { ["cpu"] = 90, ["gpu"] = 10 }, summary.Devices);
    }

    [Fact]
    public void TheReportCarriesTheServerTimingWhenKnownAndLeavesItOutOtherwise()
    {
        var recorder = new ServerTimingRecorder();
        recorder.Start();
        recorder.OnResponse(Request(candidates: 1), Response(scores: 1, queueMs: 0.5, computeMs: 0.25, totalMs: 1, batchRows: 8, "cpu"));
        var without = new RunSummary { Model = "m" };
        var with = without with { ServerTiming = recorder.Summary() };

        using (var document = JsonDocument.Parse(ReportJson.Serialize(without)))
        {
            Assert.False(document.RootElement.TryGetProperty("serverTiming", out _));
        }

        using (var document = JsonDocument.Parse(ReportJson.Serialize(with)))
        {
            var timing = document.RootElement.GetProperty("serverTiming");
            Assert.Equal(1, timing.GetProperty("responses").GetInt64());
            Assert.Equal(0.5, timing.GetProperty("queueMs").GetProperty("p99").GetDouble(), precision: 2);
            Assert.Equal(8, timing.GetProperty("meanBatchRows").GetDouble());
        }

        var console = new StringWriter();
        ConsoleReport.Print(console, with);
        Assert.Contains("server timing ms (1 OK responses): total p50 1 p99 1  queue p50 0.5 p99 0.5  compute p50 0.25 p99 0.25  batch rows mean 8  on cpu 1", console.ToString(), StringComparison.Ordinal);
        var plain = new StringWriter();
        ConsoleReport.Print(plain, without);
        Assert.DoesNotContain("server timing", plain.ToString(), StringComparison.Ordinal);
    }

    private static PooledRequest Request(int candidates) => new(new RankRequest { CandidateCount = candidates }, candidates, JsonBody: null);

    private static RankResponse Response(int scores, double queueMs, double computeMs, double totalMs, int batchRows, string device)
    {
        var response = new RankResponse
        {
            Timing = new Timing { QueueMs = queueMs, ComputeMs = computeMs, TotalMs = totalMs, BatchRows = batchRows, Device = device },
        };
        for (var i = 0; i < scores; i++)
        {
            response.Scores.Add(0.5f);
        }

        return response;
    }
}
