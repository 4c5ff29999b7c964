using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Models;

namespace Serving.Hosting;

/// <summary>Ready when every model is loaded and warmed and the server is not draining.</summary>
internal sealed class ReadinessHealthCheck(ModelRepository repository, DrainState drain) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            drain.Draining ? HealthCheckResult.Unhealthy("draining: the server is shutting down")
            : repository.Ready ? HealthCheckResult.Healthy("every model is loaded and warmed")
            : HealthCheckResult.Unhealthy("models are still loading"));
}
