using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Requests;

/// <summary>The prepared requests of a run, with what the model config says about its SLO.</summary>
/// <param name="Pool">The pre-built requests.</param>
/// <param name="ModelSloMs">The model config's sloP99Ms, if any.</param>
/// <param name="Source">Where the features came from, for the report.</param>
/// <param name="Notes">Things the user should know (unbound features, fallbacks), printed unless quiet.</param>
internal sealed record Workload(RequestPool Pool, double? ModelSloMs, string Source, IReadOnlyList<string> Notes);

/// <summary>Loads the model config and data (or synthesises rows) and pre-builds the request pool.</summary>
internal static class WorkloadBuilder
{
    public static Workload Build(LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var notes = new List<string>();
        var configPath = options.ModelConfigPath ?? Path.Combine("models", options.Model, "config.json");
        ModelConfig? config = null;
        if (File.Exists(configPath))
        {
            config = ModelConfigReader.ReadFile(configPath);
        }
        else if (options.ModelConfigPath is not null)
        {
            throw new FileNotFoundException($"Model config '{configPath}' does not exist.", configPath);
        }

        RawTable table;
        IReadOnlyList<FeatureSpec> features;
        string source;
        if (options.DataPath is not null)
        {
            table = DataFileLoader.Load(options.DataPath, options.DataFormat, options.DataRows);
            if (config is null)
            {
                features = SchemaInference.FromColumns(table.Columns);
                notes.Add($"no model config at '{configPath}': features inferred from the data file's columns");
            }
            else
            {
                features = config.Features;
            }

            source = $"replay {options.DataPath} ({table.Rows.Count} rows, cycled)";
        }
        else
        {
            if (config is null)
            {
                throw new ArgumentException(
                    $"Nothing to build requests from: no data file (--data) and no model config at '{configPath}'.");
            }

            features = config.Features;
            table = SyntheticTableGenerator.Generate(features, options.SyntheticRows, options.Seed);
            source = $"synthetic from {configPath} ({table.Rows.Count} rows)";
        }

        var bindings = FeatureBinder.Bind(features, table, options.ContextFeatures.ToHashSet(StringComparer.Ordinal));
        if (bindings.Unbound.Count > 0)
        {
            notes.Add($"model features missing from the data, left to the server's defaults: {string.Join(",", bindings.Unbound)}");
        }

        var factory = new RankRequestFactory(
            table,
            bindings.Bindings,
            new RequestTemplate(options.Model, options.ModelVersion, options.BudgetMs, options.Priority));
        var pool = RequestPool.Build(
            factory, options.Candidates, options.PoolSize, options.Seed, options.Transport == TransportKind.Rest);
        return new Workload(pool, config?.SloP99Ms, source, notes);
    }
}
