using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Admission;
using Serving.Registry;

namespace Serving.Hosting;

/// <summary>
/// Ready once the repository's first load is published (and the request path warmed) and until
/// the server drains. A model that failed to load does not make the server unready (the others
/// serve: Serving:Models:FailFast is the strict choice); the detail names every failure.
/// </summary>
internal sealed class ReadinessHealthCheck(ModelRegistry registry, AdmissionGate gate, RequestPathWarmUp warmUp) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(
            gate.Draining ? HealthCheckResult.Unhealthy("draining: the server is shutting down")
            : !registry.Ready ? HealthCheckResult.Unhealthy("models are still loading")
            : !warmUp.Done ? HealthCheckResult.Unhealthy("warming up the request path")
            : HealthCheckResult.Healthy(Detail()));

    private string Detail()
    {
        var failed = registry.Models
            .SelectMany(m => m.Statuses.Where(s => s.State == VersionState.Failed).Select(s => $"{m.Name}{(s.Version.Length > 0 ? " v" + s.Version : "")}: {s.Detail}"))
            .ToList();
        return failed.Count == 0
            ? "every model is loaded and warmed"
            : $"serving; {failed.Count} failed to load (what served before keeps serving): {string.Join("; ", failed)}";
    }
}
