using System.Net;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Serving.Contracts.Ranking.V1;
using Serving.Admission;

namespace Serving.IntegrationTests;

public class DrainTests
{
    [Fact]
    public async Task Shutdown_under_load_finishes_every_in_flight_request_and_refuses_new_ones()
    {
        await using var owner = new OwnedServer();
        var server = owner.Server;
        server.Settings["Serving:Batching:Mode"] = "Static";
        server.Settings["Serving:Batching:TargetBatchRows"] = "1000";
        // Long enough that all 20 requests are queued before the batch leaves, even on a machine
        // busy with the other test classes (at 0.5 s a loaded run sent the batch with fewer).
        server.Settings["Serving:Batching:MaxQueueDelay"] = "00:00:02";
        server.Settings["Serving:Drain:Timeout"] = "00:00:20";
        await server.InitializeAsync();
        var drain = server.Services.GetRequiredService<AdmissionGate>();

        // Requests held in the batcher by the long max queue delay: in flight when shutdown starts.
        var inFlight = Enumerable.Range(0, 20)
            .Select(i => server.Client.RankAsync(Requests.Synthetic("criteo-deepfm", 10, seed: i)).ResponseAsync)
            .ToList();
        Assert.True(SpinWait.SpinUntil(() => drain.InFlight == 20, TimeSpan.FromSeconds(30)), $"in flight: {drain.InFlight}");

        var stopping = server.StopAsync();
        Assert.True(SpinWait.SpinUntil(() => drain.Draining, TimeSpan.FromSeconds(30)));
        using var ready = await server.Http.GetAsync("/readyz");
        var refused = await Assert.ThrowsAsync<RpcException>(() => server.Client.RankAsync(Requests.Synthetic("criteo-deepfm", 10, seed: 99)).ResponseAsync);

        var responses = await Task.WhenAll(inFlight);
        await stopping;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.All(responses, r => Assert.Equal(10, r.Scores.Count));
        Assert.Equal(0, drain.InFlight);
    }

    private sealed class OwnedServer : IAsyncDisposable
    {
        public ServerFixture Server { get; } = new();

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }
}
