using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Serving.IntegrationTests;

/// <summary>A server that warms its request path before turning ready (the production default).</summary>
public sealed class WarmingServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:WarmUpRequestPath"] = "true",
    };
}

public class RequestPathWarmUpTests(WarmingServer fixture) : IClassFixture<WarmingServer>
{
    [Fact]
    public async Task Each_model_gets_a_rest_and_a_grpc_call_before_the_server_turns_ready()
    {
        var server = fixture.Server;
        var warmUp = server.Services.GetServices<IHostedService>().OfType<Serving.Hosting.RequestPathWarmUp>().Single();

        await warmUp.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(warmUp.Done);
        using var ready = await server.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var metrics = await server.AdminHttp.GetStringAsync("/metrics");
        foreach (var model in new[] { "avazu-dcn", "criteo-deepfm", "criteo-deepfm-xl" })
        {
            // One REST and one gRPC call per model; the calls to the port that does not speak their protocol never reach a handler.
            Assert.Contains($"serving_requests_total{{model=\"{model}\",version=\"1\",status=\"OK\",reason=\"\"}} 2", metrics, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://[::]:8081", "http://127.0.0.1:8081/")]
    [InlineData("http://+:80", "http://127.0.0.1/")]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/")]
    public void Listening_addresses_become_loopback_urls(string address, string expected)
    {
        Assert.Equal(new Uri(expected), Serving.Hosting.RequestPathWarmUp.Loopback(address));
    }
}
