using System.Text.Json.Nodes;
using Serving.Models;

namespace Serving.Tests.Models;

/// <summary>The version policy, labels, split and shadow of a model's config.json, and a version's own config.json.</summary>
public sealed class ModelPolicyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("serving-policy-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(null, new[] { "1", "2", "10" }, new[] { "10" })]
    [InlineData("""{ "latest": 2 }""", new[] { "1", "2", "10" }, new[] { "2", "10" })]
    [InlineData("""{ "specific": ["1", "10", "7"] }""", new[] { "1", "2", "10" }, new[] { "1", "10" })]
    [InlineData("""{ "all": true }""", new[] { "1", "2", "10" }, new[] { "1", "2", "10" })]
    public void The_version_policy_picks_among_the_versions_on_disk(string? policy, string[] onDisk, string[] expected)
    {
        var path = WriteModelConfig(c => c["versionPolicy"] = policy is null ? null : JsonNode.Parse(policy));

        var parsed = ModelConfigLoader.LoadPolicy(path);

        Assert.Equal(expected, parsed.Versions.Select(onDisk));
    }

    [Theory]
    [InlineData("versionPolicy", """{ "latest": 0 }""", "'versionPolicy.latest' must be >= 1")]
    [InlineData("versionPolicy", """{ "latest": 1, "all": true }""", "exactly one of 'latest', 'specific' or 'all'")]
    [InlineData("versionPolicy", """{ "specific": ["v2"] }""", "'versionPolicy.specific' must list numeric versions")]
    [InlineData("labels", """{ "7": "1" }""", "a label must be a non-numeric name")]
    [InlineData("labels", """{ "stable": "latest" }""", "'labels.stable' must name a numeric version")]
    [InlineData("traffic", """{ "canary": 1 }""", "'traffic.canary' names neither a version nor a label")]
    [InlineData("traffic", """{ "1": -1 }""", "'traffic.1' must be a weight >= 0")]
    [InlineData("traffic", """{ "1": 0, "2": 0 }""", "the weights must not all be 0")]
    [InlineData("shadow", """{ "version": "canary", "fraction": 0.1 }""", "'shadow.version' names neither a version nor a label")]
    [InlineData("shadow", """{ "version": "2", "fraction": 1.5 }""", "'shadow.fraction' must be in [0, 1]")]
    public void A_wrong_policy_names_the_file_and_the_key(string key, string value, string expected)
    {
        var path = WriteModelConfig(c => c[key] = JsonNode.Parse(value));

        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.LoadPolicy(path));

        Assert.StartsWith(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Labels_split_and_shadow_are_read()
    {
        var path = WriteModelConfig(c =>
        {
            c["labels"] = JsonNode.Parse("""{ "stable": "1", "canary": "2" }""");
            c["traffic"] = JsonNode.Parse("""{ "stable": 90, "canary": 10 }""");
            c["shadow"] = JsonNode.Parse("""{ "version": "3", "fraction": 0.05 }""");
            c["defaultVersion"] = "1";
        });

        var policy = ModelConfigLoader.LoadPolicy(path);

        Assert.Equal("2", policy.Labels["canary"]);
        Assert.Equal(10, policy.Traffic["canary"]);
        Assert.Equal(new ShadowPolicy("3", 0.05), policy.Shadow);
        Assert.Equal("1", policy.DefaultVersion);
    }

    [Fact]
    public void A_version_config_replaces_the_keys_it_sets_and_keeps_the_rest()
    {
        var model = WriteModelConfig();
        var version = Path.Combine(_folder, "2", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(version)!);
        var features = JsonNode.Parse(TestModels.TinyConfig)!["features"]!.AsArray();
        features[3]!["buckets"] = 80;
        File.WriteAllText(version, new JsonObject { ["hashSeed"] = 99, ["features"] = features.DeepClone() }.ToJsonString());

        var spec = ModelConfigLoader.LoadVersion(model, version);

        Assert.Equal(99UL, spec.HashSeed);
        Assert.Equal(80, spec.FeaturesByName["s1"].Buckets);
        Assert.Equal(TimeSpan.FromMilliseconds(10), spec.SloP99); // from the model's file
        Assert.Equal("tiny", spec.Name);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("labels")]
    [InlineData("versionPolicy")]
    public void A_version_config_may_not_set_model_level_keys(string key)
    {
        var model = WriteModelConfig();
        var version = Path.Combine(_folder, "2", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(version)!);
        File.WriteAllText(version, new JsonObject { [key] = "x" }.ToJsonString());

        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.LoadVersion(model, version));

        Assert.StartsWith(version, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{key}' belongs in the model's own config.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_version_config_is_named_not_the_model_one()
    {
        var model = WriteModelConfig();
        var version = Path.Combine(_folder, "2", "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(version)!);
        File.WriteAllText(version, """{ "sloP99Ms": -1 }""");

        var ex = Assert.Throws<ModelConfigException>(() => ModelConfigLoader.LoadVersion(model, version));

        Assert.StartsWith(version, ex.Message, StringComparison.Ordinal);
    }

    private string WriteModelConfig(Action<JsonObject>? edit = null)
    {
        var config = JsonNode.Parse(TestModels.TinyConfig)!.AsObject();
        edit?.Invoke(config);
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, config.ToJsonString());
        return path;
    }
}
