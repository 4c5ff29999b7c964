using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

/// <summary>
/// The public listeners serve the ranking API and health only; metrics, the allocator's state and
/// reflection answer only on the admin listeners, whatever the request says about its host.
/// </summary>
[Collection(SharedServer.Name)]
public class ExposureTests(ServerFixture server)
{
    [Theory]
    [InlineData("/metrics")]
    [InlineData("/v1/allocator")]
    public async Task Admin_endpoints_are_not_found_on_the_public_port_even_when_the_host_header_names_the_admin_port(string path)
    {
        using var plain = await server.Http.GetAsync(path);
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, path);
        spoofed.Headers.Host = $"127.0.0.1:{server.AdminPort}";
        using var withHost = await server.Http.SendAsync(spoofed);
        using var admin = await server.AdminHttp.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withHost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task Reflection_is_not_served_on_the_public_grpc_port()
    {
        var reflection = new ServerReflection.ServerReflectionClient(server.Channel);
        // Were reflection served here, it would wait for a request: the deadline turns that into a failure.
        using var call = reflection.ServerReflectionInfo(deadline: DateTime.UtcNow.AddSeconds(10));

        // Only the answer is read: the server refuses the method from its headers, and a message
        // written after that refusal fails on the client as CANCELLED (the stream is already reset),
        // which a CI run hit once.
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task The_ranking_api_is_not_served_on_the_admin_ports_but_health_is_on_every_port()
    {
        var adminRanking = new RankingService.RankingServiceClient(server.AdminChannel);
        var grpc = await Assert.ThrowsAsync<RpcException>(() => adminRanking.RankAsync(Requests.Synthetic("criteo-deepfm", 3, seed: 1)).ResponseAsync);
        using var rest = await server.AdminHttp.GetAsync("/v1/models");
        using var healthz = await server.AdminHttp.GetAsync("/healthz");
        var health = await new Health.HealthClient(server.AdminChannel).CheckAsync(new HealthCheckRequest());

        Assert.Equal(StatusCode.Unimplemented, grpc.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, rest.StatusCode);
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
    }
}
