using System.Globalization;
using System.Text;

namespace Serving.Allocation;

/// <summary>One sample of the Prometheus text exposition format: <c>name{label="value",...} 1.5</c>.</summary>
internal sealed record ExposedSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Parses the Prometheus text exposition format (version 0.0.4), as prometheus-net writes it.</summary>
internal static class ExpositionText
{
    /// <summary>Every sample whose metric name is in <paramref name="names"/>; comments and other metrics are skipped.</summary>
    public static List<ExposedSample> Parse(string text, IReadOnlySet<string> names)
    {
        var samples = new List<ExposedSample>();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            if (!names.Contains(name))
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var position = nameEnd;
            if (line[position] == '{')
            {
                position = ParseLabels(line, position + 1, labels);
                if (position < 0)
                {
                    continue;
                }
            }

            var valueText = line[position..].Trim();
            var space = valueText.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                valueText = valueText[..space]; // a timestamp follows
            }

            if (TryParseValue(valueText, out var value))
            {
                samples.Add(new ExposedSample(name, labels, value));
            }
        }

        return samples;
    }

    /// <summary>A sample value: a float, <c>+Inf</c>, <c>-Inf</c> or <c>NaN</c>.</summary>
    public static bool TryParseValue(string text, out double value)
    {
        switch (text)
        {
            case "+Inf":
            case "Inf":
                value = double.PositiveInfinity;
                return true;
            case "-Inf":
                value = double.NegativeInfinity;
                return true;
            case "NaN":
                value = double.NaN;
                return true;
            default:
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }
    }

    /// <summary>Reads <c>k="v",...}</c> from <paramref name="start"/>; returns the index after the brace, or -1 when malformed.</summary>
    private static int ParseLabels(string line, int start, Dictionary<string, string> labels)
    {
        var i = start;
        var value = new StringBuilder();
        while (i < line.Length)
        {
            while (i < line.Length && (line[i] == ' ' || line[i] == ','))
            {
                i++;
            }

            if (i < line.Length && line[i] == '}')
            {
                return i + 1;
            }

            var equals = line.IndexOf('=', i);
            if (equals < 0 || equals + 1 >= line.Length || line[equals + 1] != '"')
            {
                return -1;
            }

            var key = line[i..equals].Trim();
            i = equals + 2;
            value.Clear();
            while (i < line.Length && line[i] != '"')
            {
                if (line[i] == '\\' && i + 1 < line.Length)
                {
                    i++;
                    value.Append(line[i] == 'n' ? '\n' : line[i]);
                }
                else
                {
                    value.Append(line[i]);
                }

                i++;
            }

            if (i >= line.Length)
            {
                return -1;
            }

            labels[key] = value.ToString();
            i++; // closing quote
        }

        return -1;
    }
}
