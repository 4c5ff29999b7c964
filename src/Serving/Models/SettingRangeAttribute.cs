using System.ComponentModel.DataAnnotations;

namespace Serving.Models;

/// <summary>
/// A <see cref="RangeAttribute"/> for the server's options whose message names the setting by its
/// configuration key: <c>{0}</c> becomes <c>Serving:Batching:TargetBatchRows</c> or
/// <c>Serving:Allocator:Prometheus:Timeout</c>, so start-up says exactly what to fix. Without an
/// <see cref="ValidationAttribute.ErrorMessage"/> the message is <c>{key} must be in [min, max]</c>.
/// </summary>
/// <remarks>
/// The options validation generator replaces a plain <c>[Range]</c> with a copy of its own that
/// ignores <c>ErrorMessage</c> and names the property <c>AllocatorOptions.MinBatchRows</c>
/// (dotnet/runtime#123137); a subclass is validated as declared. The generator passes the member's
/// path from the options type (<c>AllocatorOptions.Prometheus.Timeout</c>) as the display name:
/// past the options type it is the key's path under <see cref="Section"/>.
/// </remarks>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingRangeAttribute : RangeAttribute
{
    /// <summary><see cref="TimeSpan.MaxValue"/> as a range bound: no upper limit.</summary>
    public const string NoLimit = "10675199.02:48:05.4775807";

    private const string DefaultMessage = "{0} must be in [{1}, {2}]";

    /// <param name="section">The options type's configuration section, e.g. <c>Serving:Batching</c>.</param>
    /// <param name="minimum">Smallest value allowed.</param>
    /// <param name="maximum">Largest value allowed.</param>
    public SettingRangeAttribute(string section, int minimum, int maximum)
        : base(minimum, maximum)
    {
        Section = section;
        ErrorMessage = DefaultMessage;
    }

    /// <inheritdoc cref="SettingRangeAttribute(string, int, int)"/>
    public SettingRangeAttribute(string section, double minimum, double maximum)
        : base(minimum, maximum)
    {
        Section = section;
        ErrorMessage = DefaultMessage;
    }

    /// <summary>A range of <see cref="TimeSpan"/> values written <c>[d.]hh:mm:ss[.fff]</c>.</summary>
    /// <inheritdoc cref="SettingRangeAttribute(string, int, int)"/>
    public SettingRangeAttribute(string section, string minimum, string maximum)
        : base(typeof(TimeSpan), minimum, maximum)
    {
        Section = section;
        ErrorMessage = DefaultMessage;
        ParseLimitsInInvariantCulture = true;
    }

    /// <summary>The configuration section of the options type the setting belongs to.</summary>
    public string Section { get; }

    public override string FormatErrorMessage(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var path = name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..].Replace('.', ':');
        return base.FormatErrorMessage($"{Section}:{path}");
    }
}
