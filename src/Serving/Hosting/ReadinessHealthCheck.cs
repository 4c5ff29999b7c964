using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Admission;
using Serving.Registry;

namespace Serving.Hosting;

/// <summary>Ready when every model is loaded and warmed and the server is not draining.</summary>
internal sealed class ReadinessHealthCheck(ModelRegistry registry, AdmissionGate gate, RequestPathWarmUp warmUp) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            gate.Draining ? HealthCheckResult.Unhealthy("draining: the server is shutting down")
            : !registry.Ready ? HealthCheckResult.Unhealthy("models are still loading")
            : !warmUp.Done ? HealthCheckResult.Unhealthy("warming up the request path")
            : HealthCheckResult.Healthy("every model is loaded and warmed"));
}
