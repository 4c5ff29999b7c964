using System.Globalization;

namespace Serving.LoadTest;

/// <summary>Reads and writes durations the way people type them: <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>.</summary>
internal static class DurationText
{
    /// <summary>Parses <c>500ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>, or a bare number of seconds.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        double scaleSeconds;
        if (s.EndsWith("ms", StringComparison.OrdinalIgnoreCase))
        {
            scaleSeconds = 0.001;
            s = s[..^2];
        }
        else if (s.EndsWith('s') || s.EndsWith('S'))
        {
            scaleSeconds = 1;
            s = s[..^1];
        }
        else if (s.EndsWith('m') || s.EndsWith('M'))
        {
            scaleSeconds = 60;
            s = s[..^1];
        }
        else if (s.EndsWith('h') || s.EndsWith('H'))
        {
            scaleSeconds = 3600;
            s = s[..^1];
        }
        else
        {
            scaleSeconds = 1;
        }

        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            || double.IsNaN(number) || double.IsInfinity(number) || number < 0)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)Math.Round(number * scaleSeconds * TimeSpan.TicksPerSecond));
        return true;
    }

    /// <summary>Parses a duration or throws <see cref="FormatException"/> naming the text.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value)
            ? value
            : throw new FormatException($"'{text}' is not a duration (use e.g. 500ms, 10s, 2m, 1h).");

    /// <summary>Shortest readable form: <c>250ms</c>, <c>10s</c>, <c>1.5s</c>, <c>2m</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0.###}ms");
        }

        if (value.Ticks % TimeSpan.TicksPerMinute == 0 && value >= TimeSpan.FromMinutes(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes:0}m");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.###}s");
    }
}
