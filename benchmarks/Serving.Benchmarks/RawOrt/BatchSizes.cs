using System.Globalization;

namespace Serving.Benchmarks;

/// <summary>The batch sizes a rows/s sweep measures.</summary>
internal static class BatchSizes
{
    /// <summary>1, 2, 4, ... up to <paramref name="maxBatchRows"/>, which ends the list even when not a power of two.</summary>
    public static List<int> PowersOfTwo(int maxBatchRows)
    {
        var sizes = new List<int>();
        for (var b = 1; b <= maxBatchRows; b *= 2)
        {
            sizes.Add(b);
        }

        if (sizes.Count == 0 || sizes[^1] != maxBatchRows)
        {
            sizes.Add(maxBatchRows);
        }

        return sizes;
    }

    /// <summary>"1,10,32" → [1, 10, 32] (ascending, distinct); null or empty → []. Throws on a size below 1.</summary>
    public static List<int> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var sizes = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var rows) || rows < 1)
            {
                throw new ArgumentException($"batch size '{part}' is not a whole number of rows >= 1", nameof(text));
            }

            sizes.Add(rows);
        }

        return [.. sizes];
    }
}
