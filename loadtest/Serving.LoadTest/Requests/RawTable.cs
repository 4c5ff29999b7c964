namespace Serving.LoadTest.Requests;

/// <summary>Rows of raw string values under named columns, as read from a data file or synthesised. Empty string = missing.</summary>
internal sealed class RawTable
{
    private readonly Dictionary<string, int> _columnIndex;

    public RawTable(IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        Columns = columns;
        Rows = rows;
        _columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            if (!_columnIndex.TryAdd(columns[i], i))
            {
                throw new FormatException($"Column '{columns[i]}' appears twice.");
            }
        }
    }

    public IReadOnlyList<string> Columns { get; }

    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>The index of a column, or -1 when the table has no such column.</summary>
    public int IndexOf(string column) => _columnIndex.TryGetValue(column, out var index) ? index : -1;
}
