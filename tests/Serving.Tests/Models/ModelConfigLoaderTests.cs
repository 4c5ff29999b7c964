using System.Text.Json.Nodes;
using Serving.Models;

namespace Serving.Tests.Models;

public class ModelConfigLoaderTests
{
    [Fact]
    public void Valid_config_parses_into_a_spec()
    {
        var spec = TestModels.Tiny();

        Assert.Equal("tiny", spec.Name);
        Assert.Equal(7UL, spec.HashSeed);
        Assert.Equal(2, spec.Inputs.Count);
        Assert.Equal(TensorElementKind.Int64, spec.Inputs[1].ElementKind);
        Assert.Equal(TimeSpan.FromMilliseconds(10), spec.SloP99);
        var s1 = spec.FeaturesByName["s1"];
        Assert.Equal((FeatureKind.Sparse, 1, 1, 50L, 3L, 3), (s1.Kind, s1.InputIndex, s1.Column, s1.Buckets, s1.DefaultBucket, s1.Index));
        Assert.Equal(DenseTransform.Log1p, spec.FeaturesByName["d0"].Transform);
    }

    public static TheoryData<string, string> Broken => new()
    {
        { """$.name = null""", "'name' is required" },
        { """$.inputs[0].type = "float64" """, "'inputs[0].type' must be 'float32' or 'int64'" },
        { """$.inputs[1].columns = 0""", "'inputs[1].columns' must be >= 1" },
        { """$.output = null""", "'output.name' is required" },
        { """$.features[0].input = "nope" """, "features[0] ('d0'): 'input' names no declared input: 'nope'" },
        { """$.features[0].column = 5""", "features[0] ('d0'): 'column' 5 is outside input 'dense'" },
        { """$.features[1].column = 0""", "features[1] ('d1'): column 0 of input 'dense' is already fed by 'd0'" },
        { """$.features[2].buckets = 1""", "features[2] ('s0'): 'buckets' must be >= 2" },
        { """$.features[2].hash = "md5" """, "features[2] ('s0'): 'hash' must be 'xxhash64'" },
        { """$.features[0].input = "sparse" """, "features[0] ('d0'): a dense feature must feed a float32 input" },
        { """$.features[0].transform = "sqrt" """, "features[0] ('d0'): 'transform' must be 'identity' or 'log1p'" },
        { """$.features[0].kind = "embedding" """, "features[0] ('d0'): 'kind' must be 'sparse' or 'dense'" },
        { """$.features[3].default = 50""", "features[3] ('s1'): 'default' must be a bucket id in [0, 50)" },
        { """$.features[3].name = "s0" """, "features[3] ('s0'): duplicate feature name" },
        { """$.sloP99Ms = 0""", "'sloP99Ms' must be in (0, 3600000]" },
        { """$.sloP99Ms = 1e300""", "'sloP99Ms' must be in (0, 3600000]" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Invalid_config_names_the_file_and_the_problem(string edit, string expected)
    {
        var json = Edit(TestModels.TinyConfig, edit);

        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse(json, "models/tiny/config.json"));

        Assert.StartsWith("models/tiny/config.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Column_fed_by_no_feature_is_rejected()
    {
        var node = JsonNode.Parse(TestModels.TinyConfig)!;
        node["features"]!.AsArray().RemoveAt(3);

        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse(node.ToJsonString(), "c.json"));

        Assert.Contains("column 1 of input 'sparse' is fed by no feature", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_property_is_rejected_so_typos_do_not_pass_silently()
    {
        var node = JsonNode.Parse(TestModels.TinyConfig)!;
        node["sloP99ms"] = 5;

        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse(node.ToJsonString(), "c.json"));

        Assert.Contains("sloP99ms", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_json_is_reported_with_the_file()
    {
        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.Parse("{ \"name\": ", "m/config.json"));

        Assert.StartsWith("m/config.json: is not valid config JSON", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Applies one "$.path = json" edit to the config.</summary>
    private static string Edit(string json, string edit)
    {
        var root = JsonNode.Parse(json)!;
        var parts = edit.Split('=', 2);
        var path = parts[0].Trim()[2..];
        var value = JsonNode.Parse(parts[1].Trim());
        JsonNode parent = root;
        var segments = path.Split('.');
        for (var i = 0; i < segments.Length - 1; i++)
        {
            parent = Step(parent, segments[i]);
        }

        var last = segments[^1];
        var bracket = last.IndexOf('[', StringComparison.Ordinal);
        if (bracket >= 0)
        {
            parent = parent[last[..bracket]]!;
            parent.AsArray()[int.Parse(last[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture)] = value;
        }
        else
        {
            parent.AsObject()[last] = value;
        }

        return root.ToJsonString();
    }

    private static JsonNode Step(JsonNode node, string segment)
    {
        var bracket = segment.IndexOf('[', StringComparison.Ordinal);
        if (bracket < 0)
        {
            return node[segment]!;
        }

        var index = int.Parse(segment[(bracket + 1)..^1], System.Globalization.CultureInfo.InvariantCulture);
        return node[segment[..bracket]]![index]!;
    }
}
