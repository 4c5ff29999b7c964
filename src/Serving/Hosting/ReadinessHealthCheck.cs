using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Models;

namespace Serving.Hosting;

/// <summary>Ready when every model is loaded and warmed.</summary>
internal sealed class ReadinessHealthCheck(ModelRepository repository) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(repository.Ready
            ? HealthCheckResult.Healthy("every model is loaded and warmed")
            : HealthCheckResult.Unhealthy("models are still loading"));
}
