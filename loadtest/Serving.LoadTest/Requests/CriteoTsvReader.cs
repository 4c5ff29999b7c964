namespace Serving.LoadTest.Requests;

/// <summary>
/// Reads the Criteo Kaggle/DAC <c>train.txt</c> format: no header, tab-separated, 40 fields per line:
/// label, I1..I13 (integers), C1..C26 (hashed categoricals); an empty field is a missing value.
/// </summary>
internal static class CriteoTsvReader
{
    public const int DenseCount = 13;
    public const int SparseCount = 26;

    /// <summary>The column names in file order: label, I1..I13, C1..C26.</summary>
    public static IReadOnlyList<string> Columns { get; } =
    [
        "label",
        .. Enumerable.Range(1, DenseCount).Select(i => $"I{i}"),
        .. Enumerable.Range(1, SparseCount).Select(i => $"C{i}"),
    ];

    /// <summary>Splits one line into its 40 fields (a trailing CR is ignored).</summary>
    public static string[] ParseLine(string line, long lineNumber = 0)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = line.TrimEnd('\r', '\n').Split('\t');
        if (fields.Length != Columns.Count)
        {
            throw new FormatException(
                $"Criteo line {lineNumber}: expected {Columns.Count} tab-separated fields (label, I1..I13, C1..C26), found {fields.Length}.");
        }

        return fields;
    }

    /// <summary>Reads up to <paramref name="maxRows"/> rows; blank lines are skipped.</summary>
    public static RawTable Read(TextReader reader, int maxRows = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<string[]>();
        long lineNumber = 0;
        while (rows.Count < maxRows && reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line == "\r")
            {
                continue;
            }

            rows.Add(ParseLine(line, lineNumber));
        }

        return new RawTable(Columns, rows);
    }
}
