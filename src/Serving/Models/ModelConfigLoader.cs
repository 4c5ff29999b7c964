using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serving.Models;

/// <summary>Parses and validates a model's <c>config.json</c> into a <see cref="ModelSpec"/>.</summary>
public static class ModelConfigLoader
{
    public const string HashFunction = "xxhash64";

    /// <summary>Longest SLO a model may declare (an hour): an online ranking call past that is a misconfiguration.</summary>
    public const double MaxSloMs = 3_600_000;

    public static ModelSpec LoadFile(string configPath)
    {
        string json;
        try
        {
            json = File.ReadAllText(configPath);
        }
        catch (IOException ex)
        {
            throw new ModelConfigException(configPath, $"cannot be read: {ex.Message}", ex);
        }

        return Parse(json, configPath);
    }

    /// <summary>Keys only a model's own config.json may set: they concern all its versions.</summary>
    private static readonly string[] ModelLevelKeys = ["name", "defaultVersion", "versionPolicy", "labels", "traffic", "shadow"];

    /// <summary>
    /// One version's spec: the model's config.json, with the version folder's own config.json (when
    /// <paramref name="versionConfigPath"/> exists) replacing the top-level keys it sets, so a
    /// retrained version can change features, hashing, inputs or output. Problems name the version's
    /// file when it has one.
    /// </summary>
    public static ModelSpec LoadVersion(string modelConfigPath, string? versionConfigPath)
    {
        if (versionConfigPath is null || !File.Exists(versionConfigPath))
        {
            return LoadFile(modelConfigPath);
        }

        var merged = ReadObject(modelConfigPath);
        var version = ReadObject(versionConfigPath);
        foreach (var key in ModelLevelKeys)
        {
            if (version.ContainsKey(key))
            {
                throw new ModelConfigException(versionConfigPath, $"'{key}' belongs in the model's own config.json ({modelConfigPath}), not a version's");
            }
        }

        foreach (var (key, value) in version.ToList())
        {
            version.Remove(key);
            merged[key] = value;
        }

        return Parse(merged.ToJsonString(), versionConfigPath);
    }

    /// <summary>The versions, labels, traffic split and shadow a model's own config.json declares.</summary>
    public static ModelPolicy LoadPolicy(string modelConfigPath)
    {
        ModelConfigDocument doc;
        try
        {
            doc = JsonSerializer.Deserialize<ModelConfigDocument>(File.ReadAllText(modelConfigPath), ModelConfigDocument.JsonOptions)
                ?? throw new ModelConfigException(modelConfigPath, "is empty");
        }
        catch (JsonException ex)
        {
            throw new ModelConfigException(modelConfigPath, $"is not valid config JSON: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new ModelConfigException(modelConfigPath, $"cannot be read: {ex.Message}", ex);
        }

        return ValidatePolicy(doc, modelConfigPath);
    }

    internal static ModelPolicy ValidatePolicy(ModelConfigDocument doc, string path)
    {
        var versions = ValidateVersionPolicy(doc.VersionPolicy, path);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (label, version) in doc.Labels ?? [])
        {
            if (string.IsNullOrWhiteSpace(label) || IsVersionNumber(label))
            {
                throw new ModelConfigException(path, $"'labels': a label must be a non-numeric name, got '{label}'");
            }

            if (!IsVersionNumber(version))
            {
                throw new ModelConfigException(path, $"'labels.{label}' must name a numeric version, got '{version}'");
            }

            labels[label] = version;
        }

        var traffic = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (target, weight) in doc.Traffic ?? [])
        {
            if (!IsVersionNumber(target) && !labels.ContainsKey(target))
            {
                throw new ModelConfigException(path, $"'traffic.{target}' names neither a version nor a label of 'labels'");
            }

            if (!(weight >= 0) || double.IsInfinity(weight))
            {
                throw new ModelConfigException(path, $"'traffic.{target}' must be a weight >= 0, got {weight}");
            }

            traffic[target] = weight;
        }

        if (traffic.Count > 0 && traffic.Values.Sum() <= 0)
        {
            throw new ModelConfigException(path, "'traffic': the weights must not all be 0");
        }

        ShadowPolicy? shadow = null;
        if (doc.Shadow is { } s)
        {
            if (string.IsNullOrWhiteSpace(s.Version) || (!IsVersionNumber(s.Version) && !labels.ContainsKey(s.Version)))
            {
                throw new ModelConfigException(path, $"'shadow.version' names neither a version nor a label of 'labels': '{s.Version}'");
            }

            if (!(s.Fraction is >= 0 and <= 1))
            {
                throw new ModelConfigException(path, $"'shadow.fraction' must be in [0, 1], got {s.Fraction}");
            }

            shadow = new ShadowPolicy(s.Version, s.Fraction);
        }

        var defaultVersion = string.IsNullOrWhiteSpace(doc.DefaultVersion) ? null : doc.DefaultVersion;
        if (defaultVersion is not null && !IsVersionNumber(defaultVersion))
        {
            throw new ModelConfigException(path, $"'defaultVersion' must be a numeric version, got '{defaultVersion}'");
        }

        return new ModelPolicy(versions, labels.ToFrozenDictionary(StringComparer.Ordinal), traffic.ToFrozenDictionary(StringComparer.Ordinal), shadow, defaultVersion);
    }

    private static VersionPolicy ValidateVersionPolicy(VersionPolicyDocument? policy, string path)
    {
        if (policy is null)
        {
            return VersionPolicy.LatestOne;
        }

        var set = (policy.Latest is not null ? 1 : 0) + (policy.Specific is not null ? 1 : 0) + (policy.All is not null ? 1 : 0);
        if (set != 1)
        {
            throw new ModelConfigException(path, "'versionPolicy' must set exactly one of 'latest', 'specific' or 'all'");
        }

        if (policy.Latest is { } latest)
        {
            return latest >= 1
                ? new VersionPolicy(VersionPolicyKind.Latest, latest, FrozenSet<string>.Empty)
                : throw new ModelConfigException(path, $"'versionPolicy.latest' must be >= 1, got {latest}");
        }

        if (policy.Specific is { } specific)
        {
            if (specific.Count == 0 || specific.Any(v => !IsVersionNumber(v)))
            {
                throw new ModelConfigException(path, "'versionPolicy.specific' must list numeric versions");
            }

            return new VersionPolicy(VersionPolicyKind.Specific, 0, specific.ToFrozenSet(StringComparer.Ordinal));
        }

        return policy.All == true
            ? new VersionPolicy(VersionPolicyKind.All, 0, FrozenSet<string>.Empty)
            : throw new ModelConfigException(path, "'versionPolicy.all' may only be true");
    }

    /// <summary>True for a version folder name: digits only.</summary>
    public static bool IsVersionNumber(string? text) =>
        !string.IsNullOrEmpty(text) && text.Length <= 18 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new ModelConfigException(path, "is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw new ModelConfigException(path, $"is not valid config JSON: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new ModelConfigException(path, $"cannot be read: {ex.Message}", ex);
        }
    }

    public static ModelSpec Parse(string json, string configPath)
    {
        ModelConfigDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<ModelConfigDocument>(json, ModelConfigDocument.JsonOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.Path is null ? "" : $" at {ex.Path}";
            throw new ModelConfigException(configPath, $"is not valid config JSON{where}: {ex.Message}", ex);
        }

        if (doc is null)
        {
            throw new ModelConfigException(configPath, "is empty");
        }

        return Validate(doc, configPath);
    }

    private static ModelSpec Validate(ModelConfigDocument doc, string path)
    {
        if (string.IsNullOrWhiteSpace(doc.Name))
        {
            throw new ModelConfigException(path, "'name' is required");
        }

        var inputs = ValidateInputs(doc, path);
        if (string.IsNullOrWhiteSpace(doc.Output?.Name))
        {
            throw new ModelConfigException(path, "'output.name' is required");
        }

        var features = ValidateFeatures(doc, inputs, path);
        ValidatePolicy(doc, path);
        var slo = doc.SloP99Ms ?? 10;
        if (!(slo > 0 && slo <= MaxSloMs))
        {
            throw new ModelConfigException(path, $"'sloP99Ms' must be in (0, {MaxSloMs}], got {slo}");
        }

        return new ModelSpec
        {
            Name = doc.Name,
            Description = doc.Description ?? "",
            DefaultVersion = string.IsNullOrWhiteSpace(doc.DefaultVersion) ? null : doc.DefaultVersion,
            HashSeed = doc.HashSeed,
            Inputs = inputs,
            OutputName = doc.Output!.Name!,
            Features = features,
            FeaturesByName = features.ToFrozenDictionary(f => f.Name, StringComparer.Ordinal),
            SloP99 = TimeSpan.FromMilliseconds(slo),
            Batching = doc.Batching ?? new BatchingDocument(),
            Devices = doc.Devices ?? new DevicesDocument(),
            Quality = doc.Quality,
            ConfigPath = path,
        };
    }

    private static List<InputTensorSpec> ValidateInputs(ModelConfigDocument doc, string path)
    {
        if (doc.Inputs is null || doc.Inputs.Count == 0)
        {
            throw new ModelConfigException(path, "'inputs' must list at least one input tensor");
        }

        var inputs = new List<InputTensorSpec>(doc.Inputs.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < doc.Inputs.Count; i++)
        {
            var input = doc.Inputs[i];
            var where = $"inputs[{i}]";
            if (string.IsNullOrWhiteSpace(input.Name))
            {
                throw new ModelConfigException(path, $"'{where}.name' is required");
            }

            if (!names.Add(input.Name))
            {
                throw new ModelConfigException(path, $"'{where}.name' duplicates input '{input.Name}'");
            }

            var kind = input.Type switch
            {
                "float32" => TensorElementKind.Float32,
                "int64" => TensorElementKind.Int64,
                _ => throw new ModelConfigException(path, $"'{where}.type' must be 'float32' or 'int64', got '{input.Type}'"),
            };
            if (input.Columns < 1)
            {
                throw new ModelConfigException(path, $"'{where}.columns' must be >= 1, got {input.Columns}");
            }

            inputs.Add(new InputTensorSpec(input.Name, kind, input.Columns, i));
        }

        return inputs;
    }

    private static List<FeatureSpec> ValidateFeatures(ModelConfigDocument doc, List<InputTensorSpec> inputs, string path)
    {
        if (doc.Features is null || doc.Features.Count == 0)
        {
            throw new ModelConfigException(path, "'features' must list at least one feature");
        }

        var features = new List<FeatureSpec>(doc.Features.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var fed = inputs.Select(i => new string?[i.Columns]).ToArray();
        for (var i = 0; i < doc.Features.Count; i++)
        {
            var f = doc.Features[i];
            var where = $"features[{i}]";
            if (string.IsNullOrWhiteSpace(f.Name))
            {
                throw new ModelConfigException(path, $"'{where}.name' is required");
            }

            where = $"features[{i}] ('{f.Name}')";
            if (!names.Add(f.Name))
            {
                throw new ModelConfigException(path, $"{where}: duplicate feature name");
            }

            var input = inputs.Find(x => x.Name == f.Input)
                ?? throw new ModelConfigException(path, $"{where}: 'input' names no declared input: '{f.Input}'");
            if (f.Column < 0 || f.Column >= input.Columns)
            {
                throw new ModelConfigException(path, $"{where}: 'column' {f.Column} is outside input '{input.Name}' (0..{input.Columns - 1})");
            }

            if (fed[input.Index][f.Column] is { } other)
            {
                throw new ModelConfigException(path, $"{where}: column {f.Column} of input '{input.Name}' is already fed by '{other}'");
            }

            fed[input.Index][f.Column] = f.Name;
            var feature = f.Kind switch
            {
                "sparse" => ValidateSparse(f, input, where, path),
                "dense" => ValidateDense(f, input, where, path),
                _ => throw new ModelConfigException(path, $"{where}: 'kind' must be 'sparse' or 'dense', got '{f.Kind}'"),
            };
            features.Add(feature with { Index = i });
        }

        foreach (var input in inputs)
        {
            var missing = Array.IndexOf(fed[input.Index], null);
            if (missing >= 0)
            {
                throw new ModelConfigException(path, $"column {missing} of input '{input.Name}' is fed by no feature");
            }
        }

        return features;
    }

    private static FeatureSpec ValidateSparse(FeatureDocument f, InputTensorSpec input, string where, string path)
    {
        if (input.ElementKind != TensorElementKind.Int64)
        {
            throw new ModelConfigException(path, $"{where}: a sparse feature must feed an int64 input; '{input.Name}' is float32");
        }

        if (f.Hash != HashFunction)
        {
            throw new ModelConfigException(path, $"{where}: 'hash' must be '{HashFunction}', got '{f.Hash}'");
        }

        if (f.Buckets < 2)
        {
            throw new ModelConfigException(path, $"{where}: 'buckets' must be >= 2, got {f.Buckets}");
        }

        if (f.Default < 0 || f.Default >= f.Buckets || f.Default != Math.Floor(f.Default))
        {
            throw new ModelConfigException(path, $"{where}: 'default' must be a bucket id in [0, {f.Buckets}), got {f.Default}");
        }

        if (f.Transform is not null)
        {
            throw new ModelConfigException(path, $"{where}: a sparse feature takes no 'transform'");
        }

        return new FeatureSpec(f.Name!, FeatureKind.Sparse, input.Index, f.Column, f.Buckets, DenseTransform.Identity, f.Default);
    }

    private static FeatureSpec ValidateDense(FeatureDocument f, InputTensorSpec input, string where, string path)
    {
        if (input.ElementKind != TensorElementKind.Float32)
        {
            throw new ModelConfigException(path, $"{where}: a dense feature must feed a float32 input; '{input.Name}' is int64");
        }

        var transform = f.Transform switch
        {
            "identity" => DenseTransform.Identity,
            "log1p" => DenseTransform.Log1p,
            _ => throw new ModelConfigException(path, $"{where}: 'transform' must be 'identity' or 'log1p', got '{f.Transform}'"),
        };
        if (f.Hash is not null || f.Buckets != 0)
        {
            throw new ModelConfigException(path, $"{where}: a dense feature takes no 'hash' or 'buckets'");
        }

        if (!double.IsFinite(f.Default))
        {
            throw new ModelConfigException(path, $"{where}: 'default' must be a finite number");
        }

        return new FeatureSpec(f.Name!, FeatureKind.Dense, input.Index, f.Column, 0, transform, f.Default);
    }
}
