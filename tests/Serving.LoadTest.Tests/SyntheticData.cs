using System.Globalization;
using System.Text;

namespace Serving.LoadTest.Tests;

/// <summary>Made-up rows in the Criteo and Avazu layouts; never rows of the real data files.</summary>
internal static class SyntheticData
{
    /// <summary>One Criteo train.txt line: label, I1..I13, C1..C26; every 5th integer and 7th categorical missing.</summary>
    public static string CriteoLine(int row)
    {
        var fields = new List<string> { (row % 2).ToString(CultureInfo.InvariantCulture) };
        for (var i = 1; i <= 13; i++)
        {
            fields.Add((i + row) % 5 == 0 ? "" : ((i * 3) + row).ToString(CultureInfo.InvariantCulture));
        }

        for (var c = 1; c <= 26; c++)
        {
            fields.Add((c + row) % 7 == 0 ? "" : ((row * 1000) + c).ToString("x8", CultureInfo.InvariantCulture));
        }

        return string.Join('\t', fields);
    }

    public static readonly string AvazuHeader =
        "id,click,hour,C1,banner_pos,site_id,site_domain,site_category,app_id,app_domain,app_category,device_id,device_ip,device_model,device_type,device_conn_type,C14,C15,C16,C17,C18,C19,C20,C21";

    /// <summary>One Avazu train.csv line with made-up values.</summary>
    public static string AvazuLine(int row)
    {
        var c = CultureInfo.InvariantCulture;
        return string.Join(',',
            (1000 + row).ToString(c), (row % 2).ToString(c), "99010100", "1005", "0",
            $"s{row:x6}", $"d{row:x6}", "cat0", $"a{row:x6}", "ad0", "ac0", $"dev{row}", $"ip{row}", $"m{row % 3}",
            "1", "0", "100", "320", "50", "1000", "0", "35", "-1", "79");
    }

    public static string CriteoFile(int rows) => string.Join('\n', Enumerable.Range(0, rows).Select(CriteoLine)) + "\n";

    public static string AvazuFile(int rows)
    {
        var builder = new StringBuilder(AvazuHeader).Append("\r\n");
        foreach (var line in Enumerable.Range(0, rows).Select(AvazuLine))
        {
            builder.Append(line).Append("\r\n");
        }

        return builder.ToString();
    }

    /// <summary>A model config.json in the models/README.md format, with the given dense and sparse features.</summary>
    public static string ModelConfig(string name, IEnumerable<string> dense, IEnumerable<string> sparse, double slo = 10)
    {
        var features = dense.Select((f, i) => $$"""{ "name": "{{f}}", "kind": "dense", "input": "dense", "column": {{i}}, "transform": "log1p", "default": 0 }""")
            .Concat(sparse.Select((f, i) => $$"""{ "name": "{{f}}", "kind": "sparse", "input": "sparse", "column": {{i}}, "hash": "xxhash64", "buckets": 4096, "default": 0 }"""));
        return $$"""
            {
              // comments are allowed, as in the README
              "name": "{{name}}",
              "hashSeed": 0,
              "features": [ {{string.Join(",\n    ", features)}} ],
              "sloP99Ms": {{slo.ToString(CultureInfo.InvariantCulture)}},
            }
            """;
    }
}
