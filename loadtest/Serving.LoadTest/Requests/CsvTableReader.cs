namespace Serving.LoadTest.Requests;

/// <summary>
/// Reads a comma-separated file with a header line (the Avazu <c>train.csv</c> layout; LF or CRLF line
/// endings). Fields are not quoted in these datasets, so a plain split is exact; a quoted field is refused.
/// </summary>
internal static class CsvTableReader
{
    /// <summary>Splits one line into fields (a trailing CR is ignored).</summary>
    public static string[] ParseLine(string line, int expectedFields, long lineNumber = 0)
    {
        ArgumentNullException.ThrowIfNull(line);
        var trimmed = line.TrimEnd('\r', '\n');
        if (trimmed.Contains('"', StringComparison.Ordinal))
        {
            throw new FormatException($"CSV line {lineNumber}: quoted fields are not supported.");
        }

        var fields = trimmed.Split(',');
        if (expectedFields > 0 && fields.Length != expectedFields)
        {
            throw new FormatException($"CSV line {lineNumber}: expected {expectedFields} fields as in the header, found {fields.Length}.");
        }

        return fields;
    }

    /// <summary>Reads the header and up to <paramref name="maxRows"/> rows; blank lines are skipped.</summary>
    public static RawTable Read(TextReader reader, int maxRows = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new FormatException("CSV file is empty: a header line is required.");
        var columns = ParseLine(header, 0, 1).Select(c => c.Trim()).ToArray();
        var rows = new List<string[]>();
        long lineNumber = 1;
        while (rows.Count < maxRows && reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line == "\r")
            {
                continue;
            }

            rows.Add(ParseLine(line, columns.Length, lineNumber));
        }

        return new RawTable(columns, rows);
    }
}
