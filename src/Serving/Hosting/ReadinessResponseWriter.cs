using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Serving.Registry;

namespace Serving.Hosting;

/// <summary>Writes /readyz as JSON: the overall status and, per model version, each device's state and why.</summary>
internal static class ReadinessResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var registry = context.RequestServices.GetRequiredService<ModelRegistry>();
        var body = new
        {
            status = report.Status.ToString(),
            detail = report.Entries.Values.Select(e => e.Description).FirstOrDefault(),
            models = registry.Models.SelectMany(m => m.Statuses.Select(s => new
            {
                model = m.Name,
                version = s.Version,
                ready = s.State == VersionState.Available,
                state = ModelLifecycle.StateLabel(s.State),
                detail = s.Detail,
                devices = m.Live.TryGetValue(s.Version, out var v) && s.State == VersionState.Available
                    ? v.Devices.Select(d => new { device = d.Device, available = d.Available, detail = d.Detail })
                    : [],
            })),
        };
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
