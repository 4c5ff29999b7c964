using System.Text.Json;

namespace Serving.IntegrationTests;

/// <summary>
/// loadtest/python/open_loop.py, the independent Python load client scripts/client-agreement.sh
/// compares with ours: a short low-rate run against the real server answers every call OK, and its
/// JSON's counts add up.
/// </summary>
[Collection(SharedServer.Name)]
public sealed class PythonOpenLoopClientTests(ServerFixture server)
{
    [Fact]
    public void A_short_run_at_a_low_rate_is_all_ok_and_its_counts_add_up()
    {
        var script = Path.Combine(RepositoryPaths.Root, "loadtest", "python", "open_loop.py");

        var output = ExternalProcess.Python([script, "--target", $"127.0.0.1:{server.GrpcPort}", "--model", "criteo-deepfm",
            "--rate", "50", "--duration", "2", "--warmup", "0.5", "--candidates", "fixed:8", "--pool-size", "32",
            "--synthetic-rows", "256", "--seed", "7", "--drain-timeout", "5"]);

        using var result = JsonDocument.Parse(output);
        var root = result.RootElement;
        var offered = root.GetProperty("offered").GetInt32();
        Assert.InRange(offered, 40, 200); // Poisson at 50/s for 2 s: ~100
        var statuses = root.GetProperty("statusCounts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(new Dictionary<string, int> { ["OK"] = offered }, statuses);
        Assert.Equal(offered, root.GetProperty("sent").GetInt32());
        Assert.Equal(offered, root.GetProperty("completed").GetInt32());
        Assert.Equal(offered, root.GetProperty("ok").GetInt32());
        Assert.Equal(offered / 2.0, root.GetProperty("okPerSecond").GetDouble(), 2);
        Assert.Equal(8.0, root.GetProperty("meanCandidatesPerRequest").GetDouble());

        var latency = root.GetProperty("latencyMs");
        var (p50, p90, p99, p999, max) = (latency.GetProperty("p50").GetDouble(), latency.GetProperty("p90").GetDouble(),
            latency.GetProperty("p99").GetDouble(), latency.GetProperty("p999").GetDouble(), latency.GetProperty("max").GetDouble());
        Assert.True(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max, $"percentiles out of order: {latency}");
        Assert.True(root.GetProperty("sendLagMs").GetProperty("p99").GetDouble() >= 0);
    }

    [Fact]
    public void A_target_that_is_not_loopback_is_refused()
    {
        var script = Path.Combine(RepositoryPaths.Root, "loadtest", "python", "open_loop.py");

        var ex = Assert.ThrowsAny<Exception>(() => ExternalProcess.Python([script, "--target", "192.0.2.1:8081", "--rate", "1", "--duration", "1"]));

        Assert.Contains("not a loopback address", ex.Message, StringComparison.Ordinal);
    }
}
