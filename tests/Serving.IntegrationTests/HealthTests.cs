using System.Net;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests;

[Collection(SharedServer.Name)]
public class HealthTests(ServerFixture server)
{
    [Fact]
    public async Task Liveness_and_readiness_answer_on_the_http_port()
    {
        using var live = await server.Http.GetAsync("/healthz");
        using var ready = await server.Http.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Contains(body.GetProperty("models").EnumerateArray(), m => m.GetProperty("model").GetString() == "criteo-deepfm");
    }

    [Fact]
    public async Task Grpc_health_service_reports_serving()
    {
        var health = new Health.HealthClient(server.Channel);

        var reply = await health.CheckAsync(new HealthCheckRequest());

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_ranking_service()
    {
        var reflection = new ServerReflection.ServerReflectionClient(server.AdminChannel);
        using var call = reflection.ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("serving.ranking.v1.RankingService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Metrics_count_requests_by_model_and_status()
    {
        await server.Client.RankAsync(Requests.Synthetic("avazu-dcn", 7, seed: 2));

        var text = await server.AdminHttp.GetStringAsync("/metrics");

        Assert.Contains("serving_requests_total{model=\"avazu-dcn\",version=\"1\",status=\"OK\",reason=\"\"}", text, StringComparison.Ordinal);
        Assert.Contains("serving_batch_rows_bucket{model=\"avazu-dcn\",version=\"1\",device=\"cpu\"", text, StringComparison.Ordinal);
        Assert.Contains("serving_request_duration_seconds_bucket{model=\"avazu-dcn\",version=\"1\"", text, StringComparison.Ordinal);
        Assert.Contains("serving_model_ready{model=\"criteo-deepfm\",version=\"1\"} 1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_include_the_process_and_runtime_figures()
    {
        var text = await server.AdminHttp.GetStringAsync("/metrics");

        Assert.Matches(@"(?m)^process_cpu_seconds_total [0-9.e+-]+$", text);
        Assert.Matches(@"(?m)^dotnet_collection_count_total\{generation=""0""\} \d+", text);
        Assert.Matches(@"(?m)^dotnet_gc_pause_seconds_total [0-9.e+-]+$", text);
        Assert.Matches(@"(?m)^dotnet_threadpool_threads [1-9]\d*$", text);
    }
}
