using System.Text.Json;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

/// <summary>A server asked for a GPU on this GPU-less machine: it says why not and serves on CPU.</summary>
public sealed class GpuRequestedServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:Devices:Gpu:Enabled"] = "true",
    };
}

public class GpuStartupTests(GpuRequestedServer fixture) : IClassFixture<GpuRequestedServer>
{
    [Fact]
    public async Task Without_cuda_the_server_reports_why_and_serves_on_cpu()
    {
        var server = fixture.Server;
        var ready = JsonDocument.Parse(await server.Http.GetStringAsync("/readyz")).RootElement;
        var gpu = ready.GetProperty("models")[0].GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("device").GetString() == "gpu");

        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.False(gpu.GetProperty("available").GetBoolean());
        Assert.Contains("CUDA sessions cannot be created", gpu.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var response = await server.Client.RankAsync(Requests.Synthetic("criteo-deepfm", 20, seed: 5));
        Assert.Equal("cpu", response.Timing.Device);
        var metrics = await server.AdminHttp.GetStringAsync("/metrics");
        Assert.Contains("serving_device_state{model=\"criteo-deepfm\",device=\"gpu\"} 0", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_device_state{model=\"criteo-deepfm\",device=\"cpu\"} 1", metrics, StringComparison.Ordinal);
    }
}

/// <summary>A server whose accelerator pool is the CPU stand-in, failing half its batches.</summary>
public sealed class FaultyStandInServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:Devices:Gpu:Enabled"] = "true",
        ["Serving:Devices:Gpu:StandIn"] = "true",
        ["Serving:Devices:Gpu:SmallBatchCpuRows"] = "1",
        ["Serving:Devices:Gpu:Chaos:FaultRate"] = "0.5",
        ["Serving:Devices:Gpu:Resilience:MinimumThroughput"] = "1000",
    };
}

public class GpuChaosTests(FaultyStandInServer fixture) : IClassFixture<FaultyStandInServer>
{
    [Fact]
    public async Task Half_the_accelerator_batches_failing_costs_no_request_and_changes_no_score()
    {
        var server = fixture.Server;
        var requests = Enumerable.Range(0, 40).Select(i => Requests.Synthetic("criteo-deepfm", 30 + i, seed: 200 + i)).ToList();

        var responses = await Task.WhenAll(requests.Select(r => server.Client.RankAsync(r).ResponseAsync));

        for (var i = 0; i < requests.Count; i++)
        {
            var expected = OnnxReference.Score("criteo-deepfm", requests[i]);
            for (var j = 0; j < expected.Length; j++)
            {
                Assert.True(MathF.Abs(expected[j] - responses[i].Scores[j]) <= 1e-5f, $"request {i} candidate {j}");
            }
        }

        var metrics = await server.AdminHttp.GetStringAsync("/metrics");
        Assert.Contains("serving_fallbacks_total{model=\"criteo-deepfm\",reason=\"fault\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_batch_rows_count{model=\"criteo-deepfm\",version=\"1\",device=\"gpu\"}", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("status=\"INTERNAL\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_session_is_warmed_before_the_server_is_ready()
    {
        var registry = (Serving.Registry.ModelRegistry)fixture.Server.Services.GetService(typeof(Serving.Registry.ModelRegistry))!;
        var version = registry.Find("criteo-deepfm")!.Default!;

        Assert.True(registry.Ready);
        Assert.Equal(["gpu", "cpu"], version.Pools.Select(p => p.Device));

        // Each session ran one timed pass at every batch size class (1, 4, 16, 64, 256, 1,024 rows)
        // into its own pool's cost model, whatever traffic the other tests sent.
        Assert.All(version.Pools, pool => Assert.Equal(pool.LoadedReplicas * 6, pool.Cost.WarmUpRuns));
        using var ready = await fixture.Server.Http.GetAsync("/readyz");
        Assert.True(ready.IsSuccessStatusCode);
    }
}
