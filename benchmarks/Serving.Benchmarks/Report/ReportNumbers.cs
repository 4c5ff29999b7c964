using System.Globalization;

namespace Serving.Benchmarks;

/// <summary>How the report rounds, divides and prints numbers: a missing or non-finite value prints as an en dash.</summary>
internal static class ReportNumbers
{
    /// <summary>a ÷ b to 4 decimals; null when either is missing or b is not positive.</summary>
    public static double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? Math.Round(x / y, 4) : null;

    public static string F(double? value, string format) =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";

    /// <summary>Whole, with thousands separators.</summary>
    public static string F0(double? value) =>
        value is { } v && double.IsFinite(v) ? v.ToString("#,0", CultureInfo.InvariantCulture) : "–";
}
