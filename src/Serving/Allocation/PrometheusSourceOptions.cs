using Serving.Models;

namespace Serving.Allocation;

/// <summary>The Prometheus latency source (<c>Serving:Allocator:Prometheus</c>).</summary>
public sealed class PrometheusSourceOptions
{
    /// <summary>Base URL of the Prometheus server, e.g. <c>http://prometheus-operated.monitoring.svc:9090</c>; required when the latency source is Prometheus.</summary>
    public Uri? Url { get; set; }

    /// <summary>The range of <c>rate(...[window])</c>: at least twice the scrape interval.</summary>
    [SettingRange(AllocatorOptions.SectionName, "00:00:00", SettingRangeAttribute.NoLimit, MinimumIsExclusive = true, ErrorMessage = "{0} must be > 0")]
    public TimeSpan QueryWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra label matchers selecting this release's series, e.g. <c>namespace="ads",app_kubernetes_io_instance="serving"</c>.</summary>
    public string Selector { get; set; } = "";

    /// <summary>Longest a query may take; a slower answer skips the control step.</summary>
    [SettingRange(AllocatorOptions.SectionName, "00:00:00", SettingRangeAttribute.NoLimit, MinimumIsExclusive = true, ErrorMessage = "{0} must be > 0")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);
}
