using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Models;

namespace Serving.Hosting;

/// <summary>Ready when every model is loaded and warmed and the server is not draining.</summary>
internal sealed class ReadinessHealthCheck(ModelRepository repository, DrainState drain, RequestPathWarmUp warmUp) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            drain.Draining ? HealthCheckResult.Unhealthy("draining: the server is shutting down")
            : !repository.Ready ? HealthCheckResult.Unhealthy("models are still loading")
            : !warmUp.Done ? HealthCheckResult.Unhealthy("warming up the request path")
            : HealthCheckResult.Healthy("every model is loaded and warmed"));
}
