using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serving.Batching;

namespace Serving.Hosting;

/// <summary>
/// OpenTelemetry tracing, off unless <c>Serving:Tracing:Enabled</c> is true: the server's spans
/// (<see cref="ServingTracing"/>) under ASP.NET Core's server span for each call, which continues
/// the caller's W3C <c>traceparent</c>; exported over OTLP, configured by the standard
/// <c>OTEL_EXPORTER_OTLP_*</c>, <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c>
/// variables. Health, readiness and metrics scrapes are not traced.
/// </summary>
public static class TracingHostingExtensions
{
    public const string EnabledKey = "Serving:Tracing:Enabled";

    /// <summary>The service name when <c>OTEL_SERVICE_NAME</c> does not give one.</summary>
    public const string DefaultServiceName = "serving";

    private static readonly PathString[] Untraced = ["/healthz", "/readyz", "/metrics"];

    /// <summary>Registers tracing when <see cref="EnabledKey"/> is true; otherwise nothing (the spans then cost a listener check).</summary>
    public static IServiceCollection AddServingTracing(this IServiceCollection services, IConfiguration configuration)
    {
        if (!configuration.GetValue<bool>(EnabledKey))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")))
                {
                    resource.AddService(DefaultServiceName);
                }
            })
            .WithTracing(tracing => tracing
                .AddSource(ServingTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !Untraced.Any(p => context.Request.Path.StartsWithSegments(p)))
                .AddOtlpExporter());
        return services;
    }
}
