using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using Serving.Contracts.Ranking.V1;
using Serving.Registry;
using Xunit.Abstractions;

namespace Serving.IntegrationTests.Reliability;

/// <summary>
/// A server whose accelerator pool (the CPU stand-in) fails every batch it is given (chaos fault
/// rate 1), with a breaker that never opens (so every batch really is tried there and fails), and
/// the default batching: 256-row slices, so a 1,024-candidate request is split into four.
/// </summary>
public sealed class EveryGpuBatchFailsServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:Devices:Gpu:Enabled"] = "true",
        ["Serving:Devices:Gpu:StandIn"] = "true",
        ["Serving:Devices:Gpu:SmallBatchCpuRows"] = "1",
        ["Serving:Devices:Gpu:Chaos:FaultRate"] = "1",
        ["Serving:Devices:Gpu:Resilience:MinimumThroughput"] = "100000",
        ["Serving:Batching:TargetBatchRows"] = "256",
        ["Serving:MinInFlightRequests"] = "64",
        ["Serving:MaxInFlightRequests"] = "64",
    };
}

/// <summary>
/// Every GPU batch failing while 1,024-candidate requests (several slices each) share the server
/// with small ones: every batch is re-run on CPU, so every call is answered OK with the scores
/// ONNX Runtime gives directly, nothing is INTERNAL, and the queue is empty afterwards.
/// </summary>
public class GpuFailingEveryBatchTests(EveryGpuBatchFailsServer fixture, ITestOutputHelper output) : IClassFixture<EveryGpuBatchFailsServer>
{
    private const string Model = "criteo-deepfm";

    [Fact]
    public async Task Multi_slice_requests_beside_small_ones_are_all_scored_on_cpu_and_the_queue_empties()
    {
        var server = fixture.Server;
        var before = await Metrics(server);
        var large = Enumerable.Range(0, 8).Select(i => Requests.Synthetic(Model, 1024, seed: 500 + i)).ToList();
        var small = Enumerable.Range(0, 48).Select(i => Requests.Synthetic(Model, 1 + (i % 30), seed: 600 + i)).ToList();

        // Interleaved, all at once: the large requests' slices queue beside the small requests.
        var requests = new List<RankRequest>();
        for (var i = 0; i < small.Count; i++)
        {
            if (i % 6 == 0)
            {
                requests.Add(large[i / 6]);
            }

            requests.Add(small[i]);
        }

        var calls = requests.Select(r => Outcome(server.Client.RankAsync(r, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(1))).ResponseAsync)).ToList();
        var outcomes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromMinutes(2));

        var failures = outcomes.Select((o, i) => (o, i)).Where(p => p.o.Error is not null).Select(p => $"request {p.i} ({requests[p.i].CandidateCount} candidates): {p.o.Error!.StatusCode} {p.o.Error.Status.Detail}").ToList();
        Assert.True(failures.Count == 0, "every call is answered OK (its batch re-run on CPU):\n" + string.Join("\n", failures));
        for (var i = 0; i < requests.Count; i++)
        {
            var response = outcomes[i].Response!;
            var expected = OnnxReference.Score(Model, requests[i]);
            Assert.Equal(expected.Length, response.Scores.Count);
            for (var j = 0; j < expected.Length; j++)
            {
                Assert.True(MathF.Abs(expected[j] - response.Scores[j]) <= 1e-5f, $"request {i} ({requests[i].CandidateCount} candidates) candidate {j}: expected {expected[j]}, got {response.Scores[j]}");
            }

            Assert.Equal("cpu", response.Timing.Device);
            if (requests[i].CandidateCount == 1024)
            {
                // Split into 256-row slices: its largest batch held one slice and at most 255 rows of others.
                Assert.InRange(response.Timing.BatchRows, 256, 511);
            }
        }

        // Every batch tried on the GPU failed there and was re-run on CPU; nothing was INTERNAL; the queue is empty.
        var after = await Metrics(server);
        var faults = Value(after, $"serving_fallbacks_total{{model=\"{Model}\",reason=\"fault\"}}") - Value(before, $"serving_fallbacks_total{{model=\"{Model}\",reason=\"fault\"}}");
        output.WriteLine($"{requests.Count} calls ({large.Count} of 1,024 candidates), all OK; GPU batches failed and re-run on CPU: {faults}");
        Assert.True(faults >= large.Count * 4, $"at least the large requests' {large.Count * 4} slices were tried on the GPU and failed there: {faults}");
        Assert.DoesNotContain("status=\"INTERNAL\"", after, StringComparison.Ordinal);
        Assert.DoesNotContain("status=\"UNKNOWN\"", after, StringComparison.Ordinal);
        Assert.Contains($"serving_queued_rows{{model=\"{Model}\",version=\"1\"}} 0", after, StringComparison.Ordinal);
        var version = ((ModelRegistry)server.Services.GetService(typeof(ModelRegistry))!).Find(Model)!.Default!;
        Assert.Equal(0, version.Scheduler.QueuedRows);
        Assert.All(version.Pools, pool => Assert.True(SpinWait.SpinUntil(() => pool.QueuedBatches == 0 && pool.FreeReplicas == pool.Replicas, TimeSpan.FromSeconds(30)), $"{pool.Device} pool idle"));
    }

    private static async Task<(RankResponse? Response, RpcException? Error)> Outcome(Task<RankResponse> call)
    {
        try
        {
            return (await call, null);
        }
        catch (RpcException ex)
        {
            return (null, ex);
        }
    }

    private static Task<string> Metrics(ServerFixture server) => server.AdminHttp.GetStringAsync("/metrics");

    private static double Value(string metrics, string series)
    {
        var match = Regex.Match(metrics, "^" + Regex.Escape(series) + " (?<v>[0-9.e+-]+)$", RegexOptions.Multiline);
        return match.Success ? double.Parse(match.Groups["v"].Value, CultureInfo.InvariantCulture) : 0;
    }
}
