using System.Globalization;

namespace Serving.Fleet;

/// <summary>The command line: an optional command word, then <c>--name value</c> pairs and <c>--flag</c>s.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public string Command { get; private set; } = "simulate";

    public static Arguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new Arguments();
        var i = 0;
        if (args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            parsed.Command = args[0];
            i = 1;
        }

        for (; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            var name = args[i][2..];
            var hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            parsed._values[name] = hasValue ? args[++i] : null;
        }

        return parsed;
    }

    public bool Flag(string name) => _values.ContainsKey(name);

    public string? TextOrNull(string name) => _values.TryGetValue(name, out var value) ? value : null;

    public string Text(string name, string fallback) => TextOrNull(name) ?? fallback;

    public int Int(string name, int fallback) => TextOrNull(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) => TextOrNull(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public IReadOnlyList<string> List(string name, IReadOnlyList<string> fallback) =>
        TextOrNull(name) is { } text ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : fallback;
}
