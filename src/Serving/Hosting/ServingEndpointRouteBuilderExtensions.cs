using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Prometheus;
using Serving.Api;
using Serving.Telemetry;

namespace Serving.Hosting;

/// <summary>Maps the engine's endpoints: <c>app.MapServing()</c>.</summary>
public static class ServingEndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapServing(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.ServiceProvider.GetRequiredService<IOptions<AdminOptions>>().Value;
        var onPublic = new ListenerMetadata(Listener.Public);
        var onAdmin = new ListenerMetadata(Listener.Admin);

        // The public listeners: the ranking API (gRPC and its REST transcoding), the Open Inference
        // Protocol (v2) and health.
        var ranking = endpoints.MapGrpcService<RankingGrpcService>();
        ranking.Add(WireRankMethod.PreferOverGenerated);
        ranking.WithMetadata(onPublic);
        endpoints.MapGrpcService<Api.OpenInference.InferenceGrpcService>().WithMetadata(onPublic);
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<Api.TransportFloor.BenchmarkOptions>>().Value.TransportFloor)
        {
            // Benchmark only: Rank's bytes in, N zero scores out (docs/benchmarks.md#the-transport-floor).
            endpoints.MapGrpcService<Api.TransportFloor.TransportFloorService>().WithMetadata(onPublic);
        }

        Api.OpenInference.InferenceRestEndpoints.MapOpenInferenceRest(endpoints).WithMetadata(onPublic);
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains(ReadinessHealthCheck.Tag),
            ResponseWriter = ReadinessResponseWriter.WriteAsync,
        });

        // The admin listeners: model control, metrics, the allocator's state, reflection.
        endpoints.MapGrpcService<ModelControlGrpcService>().WithMetadata(onAdmin);
        var metrics = endpoints.ServiceProvider.GetRequiredService<ServingMetrics>();
        endpoints.MapMetrics("/metrics", metrics.Registry).WithMetadata(onAdmin);
        endpoints.MapAllocator().WithMetadata(onAdmin);
        if (admin.Reflection != ReflectionExposure.Off)
        {
            var reflection = endpoints.MapGrpcReflectionService();
            if (admin.Reflection == ReflectionExposure.Admin)
            {
                reflection.WithMetadata(onAdmin);
            }
        }

        return endpoints;
    }
}
