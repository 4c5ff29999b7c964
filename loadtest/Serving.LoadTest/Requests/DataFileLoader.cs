namespace Serving.LoadTest.Requests;

/// <summary>Loads a replay data file into a <see cref="RawTable"/>, picking the reader by format.</summary>
internal static class DataFileLoader
{
    public static DataFormat Resolve(string path, DataFormat format) =>
        format != DataFormat.Auto
            ? format
            : string.Equals(Path.GetExtension(path), ".csv", StringComparison.OrdinalIgnoreCase) ? DataFormat.Csv : DataFormat.Criteo;

    public static RawTable Load(string path, DataFormat format, int maxRows)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Data file '{path}' does not exist.", path);
        }

        using var reader = new StreamReader(path);
        var table = Resolve(path, format) == DataFormat.Csv
            ? CsvTableReader.Read(reader, maxRows)
            : CriteoTsvReader.Read(reader, maxRows);
        if (table.Rows.Count == 0)
        {
            throw new FormatException($"Data file '{path}' has no rows.");
        }

        return table;
    }
}
