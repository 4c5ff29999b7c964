using System.Globalization;

namespace Serving.Allocation;

/// <summary>How the reasons of the controller's decisions write durations and shares.</summary>
internal static class ReasonFormat
{
    /// <summary>Milliseconds with up to three decimals; <c>n/a</c> for no value.</summary>
    public static string Ms(TimeSpan? span) =>
        span is { } s ? s.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) : "n/a";

    /// <summary>A share as a whole percentage.</summary>
    public static string Pct(double ratio) => ratio.ToString("0%", CultureInfo.InvariantCulture);
}
