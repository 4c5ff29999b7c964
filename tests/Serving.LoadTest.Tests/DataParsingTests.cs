using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Tests;

public sealed class DataParsingTests
{
    private static readonly int[] ColumnPositions = [0, 1, 13, 14, 39];

    [Fact]
    public void CriteoLineSplitsIntoLabelThirteenIntegersAndTwentySixCategoricals()
    {
        var fields = CriteoTsvReader.ParseLine(SyntheticData.CriteoLine(3));

        Assert.Equal(40, fields.Length);
        Assert.Equal("1", fields[0]);
        Assert.Equal("6", fields[1]);   // I1 = 1 x 3 + 3
        Assert.Equal("", fields[2]);    // I2 missing: (2 + 3) % 5 == 0
        Assert.Equal("00000bb9", fields[14]); // C1 = 3001 in hex
        Assert.Equal("", fields[17]);   // C4 missing: (4 + 3) % 7 == 0
        Assert.Equal(["label", "I1", "I13", "C1", "C26"], ColumnPositions.Select(i => CriteoTsvReader.Columns[i]));
    }

    [Fact]
    public void CriteoLineKeepsTrailingEmptyFieldsAndIgnoresCarriageReturn()
    {
        var line = "0" + new string('\t', 39) + "\r";
        var fields = CriteoTsvReader.ParseLine(line);
        Assert.Equal(40, fields.Length);
        Assert.All(fields.Skip(1), f => Assert.Equal("", f));
    }

    [Fact]
    public void CriteoLineWithWrongFieldCountIsRefusedWithItsNumber()
    {
        var ex = Assert.Throws<FormatException>(() => CriteoTsvReader.ParseLine("1\t2\t3", lineNumber: 17));
        Assert.Contains("17", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CriteoReaderReadsRowsUpToTheLimit()
    {
        using var reader = new StringReader(SyntheticData.CriteoFile(20));
        var table = CriteoTsvReader.Read(reader, maxRows: 12);
        Assert.Equal(12, table.Rows.Count);
        Assert.Equal(14, table.IndexOf("C1"));
        Assert.Equal(-1, table.IndexOf("hour"));
    }

    [Fact]
    public void AvazuCsvMapsColumnsByHeaderNameWithCrLfLineEndings()
    {
        using var reader = new StringReader(SyntheticData.AvazuFile(5));
        var table = CsvTableReader.Read(reader);

        Assert.Equal(5, table.Rows.Count);
        Assert.Equal(24, table.Columns.Count);
        var row = table.Rows[2];
        Assert.Equal("s000002", row[table.IndexOf("site_id")]);
        Assert.Equal("79", row[table.IndexOf("C21")]); // last column: no trailing CR
        Assert.Equal("1005", row[table.IndexOf("C1")]);
    }

    [Fact]
    public void CsvRowWithTheWrongFieldCountIsRefused()
    {
        using var reader = new StringReader("a,b,c\r\n1,2,3\r\n1,2\r\n");
        var ex = Assert.Throws<FormatException>(() => CsvTableReader.Read(reader));
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CsvQuotedFieldsAreRefused()
    {
        Assert.Throws<FormatException>(() => CsvTableReader.ParseLine("\"a,b\",c", 2));
    }

    [Fact]
    public void SchemaInferenceUsesCriteoKindsAndSkipsLabels()
    {
        var criteo = SchemaInference.FromColumns(CriteoTsvReader.Columns);
        Assert.Equal(39, criteo.Count);
        Assert.Equal(13, criteo.Count(f => f.Kind == FeatureKind.Dense));
        Assert.Equal(FeatureKind.Sparse, criteo.Single(f => f.Name == "C26").Kind);

        var avazu = SchemaInference.FromColumns(SyntheticData.AvazuHeader.Split(','));
        Assert.Equal(22, avazu.Count);
        Assert.All(avazu, f => Assert.Equal(FeatureKind.Sparse, f.Kind));
        Assert.DoesNotContain(avazu, f => f.Name is "id" or "click");
    }

    [Fact]
    public void DataFormatFollowsTheExtensionUnlessGiven()
    {
        Assert.Equal(DataFormat.Csv, DataFileLoader.Resolve("x/avazu.CSV", DataFormat.Auto));
        Assert.Equal(DataFormat.Criteo, DataFileLoader.Resolve("x/criteo.txt", DataFormat.Auto));
        Assert.Equal(DataFormat.Criteo, DataFileLoader.Resolve("x/a.csv", DataFormat.Criteo));
    }

    [Fact]
    public void ModelConfigGivesFeaturesKindsBucketsAndSlo()
    {
        var config = ModelConfigReader.Parse(SyntheticData.ModelConfig("m", ["I1", "I2"], ["C1"], slo: 12.5));

        Assert.Equal("m", config.Name);
        Assert.Equal(12.5, config.SloP99Ms);
        Assert.Equal([new FeatureSpec("I1", FeatureKind.Dense), new FeatureSpec("I2", FeatureKind.Dense), new FeatureSpec("C1", FeatureKind.Sparse, 4096)], config.Features);
    }

    [Fact]
    public void ModelConfigWithAnUnknownKindIsRefused()
    {
        Assert.Throws<FormatException>(() => ModelConfigReader.Parse("""{ "features": [ { "name": "x", "kind": "embedding" } ] }"""));
    }
}
