using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using Serving.Api;
using Serving.Telemetry;

namespace Serving.Hosting;

/// <summary>Maps the engine's endpoints: <c>app.MapServing()</c>.</summary>
public static class ServingEndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapServing(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcService<RankingGrpcService>().Add(WireRankMethod.PreferOverGenerated);
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadinessHealthCheck.Tag),
            ResponseWriter = ReadinessResponseWriter.WriteAsync,
        });
        var metrics = endpoints.ServiceProvider.GetRequiredService<ServingMetrics>();
        endpoints.MapMetrics("/metrics", metrics.Registry);
        endpoints.MapAllocator();
        return endpoints;
    }
}
