using System.ComponentModel.DataAnnotations;
using Serving.Models;
using Microsoft.Extensions.Options;

namespace Serving.Admission;

/// <summary>The admission gate (keys directly under <c>Serving</c>, and <c>Serving:Drain</c>): how many calls at once, best effort's share, draining.</summary>
public sealed class AdmissionOptions : IValidatableObject
{
    public const string SectionName = "Serving";

    /// <summary>
    /// Most calls allowed in the server at once; beyond the current limit calls are refused
    /// (RESOURCE_EXHAUSTED, reason <c>ingress_limit</c>). The limit starts here and adapts down to
    /// <see cref="MinInFlightRequests"/> while admitted calls take longer than
    /// <see cref="IngressLatencyTarget"/>. 0 turns the limit off.
    /// </summary>
    [SettingRange(SectionName, 0, int.MaxValue)]
    public int MaxInFlightRequests { get; set; } = 64;

    /// <summary>The limit never adapts below this. At or above <see cref="MaxInFlightRequests"/>: a fixed limit.</summary>
    [SettingRange(SectionName, 1, int.MaxValue)]
    public int MinInFlightRequests { get; set; } = 4;

    /// <summary>
    /// Mean latency of admitted calls (inside the server) above which the limit shrinks (while at
    /// least half the limit is in flight). Default (null): half the smallest <c>sloP99Ms</c> among
    /// the served models.
    /// </summary>
    public TimeSpan? IngressLatencyTarget { get; set; }

    /// <summary>
    /// Mean wait of work in the thread pool's queue (where a new call waits before the gate sees
    /// it) above which the limit shrinks.
    /// </summary>
    [SettingRange(SectionName, "00:00:00.000001", "00:01:00")]
    public TimeSpan IngressQueueDelayTarget { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// Best-effort calls are admitted only while fewer than this share of the limit is in flight,
    /// so under load they are refused (reason <c>best_effort_shed</c>) before any normal call is.
    /// </summary>
    [SettingRange(SectionName, 0.0, 1.0)]
    public double BestEffortInFlightShare { get; set; } = 0.5;

    [ValidateObjectMembers]
    public DrainOptions Drain { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IngressLatencyTarget is { } target && target <= TimeSpan.Zero)
        {
            yield return new ValidationResult($"{SectionName}:IngressLatencyTarget must be > 0, got {target}", [nameof(IngressLatencyTarget)]);
        }
    }
}

/// <summary>Checks <see cref="AdmissionOptions"/> (generated from its annotations; reports every problem at once).</summary>
[OptionsValidator]
public sealed partial class AdmissionOptionsValidator : IValidateOptions<AdmissionOptions>;
