using System.Globalization;

namespace Serving.Fleet.Traces;

/// <summary>
/// A replayed trace: one requests-per-second figure per line (a header line and a leading time
/// column are allowed: the last column is taken), second 0 first; past the end the last rate holds.
/// </summary>
internal sealed class CsvTrace(IReadOnlyList<double> perSecond) : ITrace
{
    public static CsvTrace Load(string path)
    {
        var rates = new List<double>();
        foreach (var line in File.ReadLines(path))
        {
            var cells = line.Split(',', StringSplitOptions.TrimEntries);
            if (double.TryParse(cells[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
            {
                rates.Add(Math.Max(rate, 0));
            }
        }

        return rates.Count > 0 ? new CsvTrace(rates) : throw new InvalidDataException($"{path}: no per-second rates found");
    }

    /// <summary>Seconds the trace covers.</summary>
    public int Seconds => perSecond.Count;

    public double RequestsPerSecond(double seconds) => perSecond[Math.Clamp((int)Math.Floor(seconds), 0, perSecond.Count - 1)];
}
