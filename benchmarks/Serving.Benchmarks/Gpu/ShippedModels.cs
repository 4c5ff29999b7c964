using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>One model of a repository at the version the check runs: its highest numeric version folder with a model.onnx.</summary>
internal sealed record ShippedModel(string Name, string Version, string ModelPath, ModelSpec Spec);

/// <summary>The models of a model repository, as the server finds them (models/README.md): folders with a config.json, not starting with '.'.</summary>
internal static class ShippedModels
{
    public static IReadOnlyList<ShippedModel> Find(string repository)
    {
        if (!Directory.Exists(repository))
        {
            throw new DirectoryNotFoundException($"model repository {repository} does not exist");
        }

        var models = new List<ShippedModel>();
        foreach (var folder in Directory.GetDirectories(repository).Order(StringComparer.Ordinal))
        {
            var config = Path.Combine(folder, "config.json");
            if (Path.GetFileName(folder).StartsWith('.') || !File.Exists(config))
            {
                continue;
            }

            var version = Directory.GetDirectories(folder)
                .Select(Path.GetFileName)
                .Where(v => ModelConfigLoader.IsVersionNumber(v) && File.Exists(Path.Combine(folder, v!, "model.onnx")))
                .OrderByDescending(v => long.Parse(v!, System.Globalization.CultureInfo.InvariantCulture))
                .FirstOrDefault();
            if (version is null)
            {
                continue;
            }

            var versionConfig = Path.Combine(folder, version, "config.json");
            var spec = ModelConfigLoader.LoadVersion(config, File.Exists(versionConfig) ? versionConfig : null);
            models.Add(new ShippedModel(spec.Name, version, Path.Combine(folder, version, "model.onnx"), spec));
        }

        return models;
    }
}
