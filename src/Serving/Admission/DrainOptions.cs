using System.ComponentModel.DataAnnotations;
using Serving.Models;

namespace Serving.Admission;

/// <summary>Graceful shutdown (<c>Serving:Drain</c>).</summary>
public sealed class DrainOptions
{
    /// <summary>Longest the server waits, after SIGTERM, for in-flight requests before it stops.</summary>
    [SettingRange(AdmissionOptions.SectionName, "00:00:00", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
}
