using Google.Rpc;
using Grpc.Core;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

/// <summary>A server whose batcher waits long enough that concurrent small requests must share batches.</summary>
public sealed class StaticBatchingServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:Batching:Mode"] = "Static",
        ["Serving:Batching:TargetBatchRows"] = "40",
        ["Serving:Batching:MaxQueueDelay"] = "00:00:00.300",
    };
}

public class BatchingTests(StaticBatchingServer fixture) : IClassFixture<StaticBatchingServer>
{
    private ServerFixture Server => fixture.Server;

    [Fact]
    public async Task Concurrent_small_requests_are_coalesced_into_shared_batches()
    {
        var requests = Enumerable.Range(0, 8).Select(i => Requests.Synthetic("criteo-deepfm", 5, seed: 100 + i)).ToList();

        var responses = await Task.WhenAll(requests.Select(r => Server.Client.RankAsync(r).ResponseAsync));

        Assert.Contains(responses, r => r.Timing.BatchRows > 5);
        for (var i = 0; i < requests.Count; i++)
        {
            var expected = OnnxReference.Score("criteo-deepfm", requests[i]);
            Assert.Equal(5, responses[i].Scores.Count);
            for (var j = 0; j < 5; j++)
            {
                Assert.True(MathF.Abs(expected[j] - responses[i].Scores[j]) <= 1e-5f, $"request {i} candidate {j}");
            }
        }

        var metrics = await Server.AdminHttp.GetStringAsync("/metrics");
        var sum = MetricValue(metrics, "serving_batch_rows_sum{model=\"criteo-deepfm\",version=\"1\",device=\"cpu\"}");
        var count = MetricValue(metrics, "serving_batch_rows_count{model=\"criteo-deepfm\",version=\"1\",device=\"cpu\"}");
        Assert.True(sum / count > 5, $"mean batch rows {sum / count} should exceed the 5 rows of one request");
    }

    [Fact]
    public async Task A_budget_that_cannot_cover_the_queue_delay_is_rejected_at_once()
    {
        // Static batching waits up to 300 ms for 40 rows; a 50 ms budget cannot be met.
        var request = Requests.Synthetic("criteo-deepfm", 5, seed: 1);
        request.BudgetMs = 50;

        var ex = await Assert.ThrowsAsync<RpcException>(() => Server.Client.RankAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("predicted_deadline_miss", ex.Trailers.GetValue("reason"));
        var metrics = await Server.AdminHttp.GetStringAsync("/metrics");
        Assert.Contains("serving_rejections_total{model=\"criteo-deepfm\",reason=\"predicted_deadline_miss\"}", metrics, StringComparison.Ordinal);
    }

    private static double MetricValue(string text, string series)
    {
        var line = text.Split('\n').First(l => l.StartsWith(series, StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A server that lets one Rank call in at a time, holding it in a long static batch window.</summary>
public sealed class IngressLimitedServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:MaxInFlightRequests"] = "1",
        ["Serving:Batching:Mode"] = "Static",
        ["Serving:Batching:TargetBatchRows"] = "1000",
        ["Serving:Batching:MaxQueueDelay"] = "00:00:01",
    };
}

public class IngressLimitTests(IngressLimitedServer fixture) : IClassFixture<IngressLimitedServer>
{
    [Fact]
    public async Task Calls_beyond_the_in_flight_limit_are_refused_with_the_reason_and_when_to_retry()
    {
        var server = fixture.Server;
        var gate = (Serving.Admission.AdmissionGate)server.Services.GetService(typeof(Serving.Admission.AdmissionGate))!;
        var held = server.Client.RankAsync(Requests.Synthetic("criteo-deepfm", 5, seed: 1)).ResponseAsync;
        Assert.True(SpinWait.SpinUntil(() => gate.InFlight == 1, TimeSpan.FromSeconds(30)));

        var grpc = await Assert.ThrowsAsync<RpcException>(() => server.Client.RankAsync(Requests.Synthetic("criteo-deepfm", 5, seed: 2)).ResponseAsync);
        using var rest = await server.Http.PostAsync("/v1/models/criteo-deepfm:rank", new StringContent("""{"candidateCount": 1}""", System.Text.Encoding.UTF8, "application/json"));
        var restBody = await rest.Content.ReadAsStringAsync();
        var list = await Assert.ThrowsAsync<RpcException>(() => server.Client.ListModelsAsync(new ListModelsRequest()).ResponseAsync);
        var held1 = await held;

        // gRPC: the message arrives decoded, with the reason and a retry delay in the rich status.
        Assert.Equal(StatusCode.ResourceExhausted, grpc.StatusCode);
        Assert.Equal("ingress_limit: 1 calls already in flight; retry with backoff or on another replica", grpc.Status.Detail);
        var status = grpc.GetRpcStatus()!;
        Assert.Equal(("ingress_limit", "serving.ranking.v1"), (status.GetDetail<ErrorInfo>().Reason, status.GetDetail<ErrorInfo>().Domain));
        Assert.Equal(TimeSpan.FromMilliseconds(100), status.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal("ingress_limit", grpc.Trailers.GetValue("reason"));

        // REST: 429, Retry-After in whole seconds, and the same details in the JSON status.
        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, rest.StatusCode);
        Assert.Equal("1", rest.Headers.GetValues("Retry-After").Single());
        Assert.Contains("\"reason\": \"ingress_limit\"", restBody.Replace("\":\"", "\": \"", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("google.rpc.RetryInfo", restBody, StringComparison.Ordinal);

        // Every call of the ranking API passes the gate, not only Rank.
        Assert.Equal(StatusCode.ResourceExhausted, list.StatusCode);
        Assert.Equal(5, held1.Scores.Count);

        var metrics = await server.AdminHttp.GetStringAsync("/metrics");
        Assert.Contains("serving_ingress_rejections_total 3", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_ingress_limit 1", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_requests_total{model=\"criteo-deepfm\",version=\"1\",status=\"RESOURCE_EXHAUSTED\",reason=\"ingress_limit\"} 2", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_rejections_total{model=\"criteo-deepfm\",reason=\"ingress_limit\"} 2", metrics, StringComparison.Ordinal);
        using var models = await server.Http.GetAsync("/v1/models");
        Assert.True(models.IsSuccessStatusCode, "once the held call is done, calls get in again");
    }
}
