using System.ComponentModel.DataAnnotations;

namespace Serving.Allocation;

/// <summary>
/// A <see cref="RangeAttribute"/> for <see cref="AllocatorOptions"/> whose message names the setting
/// by its configuration key: <c>{0}</c> in <see cref="ValidationAttribute.ErrorMessage"/> becomes
/// <c>Serving:Allocator:MinBatchRows</c>, <c>Serving:Allocator:Prometheus:Timeout</c>.
/// </summary>
/// <remarks>
/// The options validation generator replaces a plain <c>[Range]</c> with a copy of its own that
/// ignores <c>ErrorMessage</c> and names the property <c>AllocatorOptions.MinBatchRows</c>
/// (dotnet/runtime#123137); a subclass is validated as declared. The generator passes the member's
/// path from the options type (<c>AllocatorOptions.Prometheus.Timeout</c>) as the display name.
/// </remarks>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AllocatorRangeAttribute : RangeAttribute
{
    /// <summary><see cref="TimeSpan.MaxValue"/> as a range bound: no upper limit.</summary>
    public const string NoLimit = "10675199.02:48:05.4775807";

    public AllocatorRangeAttribute(int minimum, int maximum)
        : base(minimum, maximum)
    {
    }

    public AllocatorRangeAttribute(double minimum, double maximum)
        : base(minimum, maximum)
    {
    }

    /// <summary>A range of <see cref="TimeSpan"/> values written <c>hh:mm:ss.fff</c>.</summary>
    public AllocatorRangeAttribute(string minimum, string maximum)
        : base(typeof(TimeSpan), minimum, maximum)
    {
        ParseLimitsInInvariantCulture = true;
    }

    public override string FormatErrorMessage(string name)
    {
        // "AllocatorOptions.Prometheus.Timeout": past the options type, the path of the key.
        var path = name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..].Replace('.', ':');
        return base.FormatErrorMessage(AllocatorOptions.Key(path));
    }
}
