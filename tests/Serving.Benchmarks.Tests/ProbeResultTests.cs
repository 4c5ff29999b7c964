using System.Text.Json.Nodes;
using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Reporting;

namespace Serving.Benchmarks.Tests;

/// <summary>The probe's result from the load generator's recording: the file shape the report (and earlier runs) read.</summary>
public sealed class ProbeResultTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static readonly ProbeOptions Options = ProbeCommand.Bind(["--rate", "4", "--duration", "2", "--label", "overload", "--candidates", "fixed:100"]);

    [Fact]
    public void StatusesAreSplitAndJudgedFromTheIntendedSend()
    {
        var result = Build(Recording(), new ServerSide(new ServerTimingRecorder(), CpuSeconds: 0.5, IdleCpuPerSecond: 0.01, Metrics: null));

        Assert.Equal(("overload", "fixed:100", 4.0, 2.0), (result.Label, result.Candidates, result.OfferedRate, result.DurationSeconds));
        Assert.Equal((8L, 7L, 1L, 7L), (result.Offered, result.Sent, result.Dropped, result.Completed));
        Assert.Equal(5, result.Ok);
        Assert.Equal(2.5, result.OkRate);
        Assert.Equal(0.25, result.RejectedShare);
        Assert.Equal(1, result.OkAfterSlo);
        Assert.Equal(["OK", "RESOURCE_EXHAUSTED"], result.LatencyMsByStatus.Keys);
        Assert.Equal(12.0, result.LatencyMsByStatus["OK"].Max!.Value, 1);
        Assert.Equal(3.0, result.ServiceMsByStatus["OK"].Max!.Value, 1);
        Assert.Equal(2.0, result.ServiceMsByStatus["OK"].P50!.Value, 1);
        Assert.Equal(0.5, result.ServerCpuSeconds);
        Assert.Equal(0.01, result.ServerIdleCpuPerSecond);
    }

    [Fact]
    public void TheFileHasTheKeysOfEarlierRunsAndLeavesOutWhatWasNotMeasured()
    {
        var result = Build(Recording(), new ServerSide(new ServerTimingRecorder(), CpuSeconds: null, IdleCpuPerSecond: null, Metrics: null));
        var json = JsonNode.Parse(ReportJson.Serialize(result))!.AsObject();

        Assert.Equal(
            [
                "label", "target", "candidates", "meanCandidatesPerRequest", "workload", "sloMs", "offeredRate", "durationSeconds",
                "offered", "sent", "dropped", "unanswered", "completed", "ok", "okRate", "okRowsPerSecond", "rejectedShare",
                "okAfterSlo", "latencyMs", "latencyMsByStatus", "serviceMsByStatus", "sendLagMs", "serverTimingMeansOk", "serverTotalMsOk",
            ],
            json.Select(p => p.Key));

        // An empty histogram is only its count; no OK response with a timing is an explicit null.
        Assert.Equal("""{"count":0}""", json["serverTotalMsOk"]!.ToJsonString());
        Assert.Null(json["serverTimingMeansOk"]);
        Assert.Equal(["count", "p50", "p90", "p99", "p999", "max", "mean"], json["latencyMs"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void TheFileReadsBackAsTheSameResult()
    {
        var metrics = ServerMetrics.Delta(ServerMetrics.Parse(""), ServerMetrics.Parse("serving_batch_rows_sum 12\nserving_batch_rows_count 3\n"));
        var result = Build(Recording(), new ServerSide(new ServerTimingRecorder(), 0.5, 0.01, metrics));

        var read = ReportJson.Deserialize<ProbeResult>(ReportJson.Serialize(result));

        Assert.Equal(ReportJson.Serialize(result), ReportJson.Serialize(read));
        Assert.Equal(12, read.MetricsDelta!.BatchRowsSum);
        Assert.Contains("\"serving_batch_rows_count\": 3", ReportJson.Serialize(result), StringComparison.Ordinal);
    }

    private static ProbeResult Build(RunRecording recording, ServerSide server) =>
        ProbeResultBuilder.Build(recording, new ProbeFacts(Options, 100, SloMs: 10, new DispatchResult(Sent: 7, Abandoned: 0, Cancelled: false)), server);

    /// <summary>8 arrivals: 1 dropped, 5 OK (one 12 ms late, one sent 10 ms late), 2 rejected.</summary>
    private static RunRecording Recording()
    {
        var recorder = new RunRecorder(latencyObjective: Ms(10));
        for (var i = 0; i < 8; i++)
        {
            recorder.RecordOffered(Ms(i * 250));
        }

        recorder.RecordDropped(Ms(1750));
        recorder.RecordCompletion(Ms(0), Ms(0), Ms(2), "OK", rows: 100);
        recorder.RecordCompletion(Ms(250), Ms(250), Ms(253), "OK", rows: 100);
        recorder.RecordCompletion(Ms(500), Ms(510), Ms(512), "OK", rows: 100);
        recorder.RecordCompletion(Ms(750), Ms(750), Ms(752), "OK", rows: 100);
        recorder.RecordCompletion(Ms(1000), Ms(1000), Ms(1001), "OK", rows: 100);
        recorder.RecordCompletion(Ms(1250), Ms(1250), Ms(1250.5), "RESOURCE_EXHAUSTED", rows: 100);
        recorder.RecordCompletion(Ms(1500), Ms(1500), Ms(1500.5), "RESOURCE_EXHAUSTED", rows: 100);
        return recorder.Snapshot();
    }
}
