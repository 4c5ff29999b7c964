using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Allocation;
using Serving.Registry;
using Serving.Telemetry;

namespace Serving.Hosting;

/// <summary>Registers the allocator controller: <c>services.AddAllocator(configuration)</c> (called by <c>AddServing</c>).</summary>
public static class AllocatorServiceCollectionExtensions
{
    public static IServiceCollection AddAllocator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AllocatorOptions>()
            .Bind(configuration.GetSection(AllocatorOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AllocatorOptions>, AllocatorOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ServingMetrics>();
        services.TryAddSingleton<ModelRegistry>();
        services.TryAddSingleton<AllocatorMetrics>();
        services.TryAddSingleton<IControlledModelSource, RegistryModelSource>();
        services.TryAddSingleton(sp => new InProcessLatencySource(sp.GetRequiredService<ServingMetrics>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ILatencySource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AllocatorOptions>>().Value;
            return options.LatencySource == LatencySourceKind.Prometheus
                ? new PrometheusLatencySource(options.Prometheus, sp.GetRequiredService<TimeProvider>())
                : sp.GetRequiredService<InProcessLatencySource>();
        });
        services.TryAddSingleton(sp => new AllocatorPolicy(sp.GetRequiredService<IOptions<AllocatorOptions>>().Value));
        services.TryAddSingleton(sp => new AllocatorState(
            sp.GetRequiredService<IOptions<AllocatorOptions>>().Value,
            sp.GetRequiredService<IControlledModelSource>(),
            sp.GetRequiredService<ILatencySource>().Name));
        services.TryAddSingleton(sp => new AllocatorController(
            sp.GetRequiredService<IControlledModelSource>(),
            sp.GetRequiredService<ILatencySource>(),
            sp.GetRequiredService<InProcessLatencySource>(),
            sp.GetRequiredService<AllocatorPolicy>(),
            sp.GetRequiredService<AllocatorMetrics>(),
            sp.GetRequiredService<AllocatorState>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AllocatorController>>()));
        services.AddHostedService<AllocatorService>();
        return services;
    }
}

/// <summary>Maps <c>GET /v1/allocator</c>: <c>endpoints.MapAllocator()</c> (called by <c>MapServing</c>).</summary>
public static class AllocatorEndpointRouteBuilderExtensions
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static IEndpointConventionBuilder MapAllocator(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet("/v1/allocator", (AllocatorState state) => Results.Json(state.Report(), Json))
            .WithName("GetAllocator")
            .WithDisplayName("Allocator controller: settings, last measurements and decisions per model");
}
