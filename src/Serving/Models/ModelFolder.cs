using System.Globalization;

namespace Serving.Models;

/// <summary>Finds models and their numeric version folders in a repository directory.</summary>
public static class ModelFolder
{
    public const string ConfigFileName = "config.json";
    public const string ModelFileName = "model.onnx";

    /// <summary>Every subfolder of <paramref name="repositoryPath"/> that holds a config.json, by name.</summary>
    public static IReadOnlyList<string> FindModels(string repositoryPath)
    {
        if (!Directory.Exists(repositoryPath))
        {
            throw new ModelConfigException(repositoryPath, "model repository folder does not exist");
        }

        var models = Directory.GetDirectories(repositoryPath)
            .Where(d => File.Exists(Path.Combine(d, ConfigFileName)))
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToList();
        if (models.Count == 0)
        {
            throw new ModelConfigException(repositoryPath, $"holds no model (no <name>/{ConfigFileName})");
        }

        return models;
    }

    /// <summary>The model's numeric version folders that hold a model.onnx, in ascending numeric order.</summary>
    public static IReadOnlyList<string> FindVersions(string modelPath)
    {
        var versions = Directory.GetDirectories(modelPath)
            .Select(Path.GetFileName)
            .Where(v => long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Where(v => File.Exists(Path.Combine(modelPath, v!, ModelFileName)))
            .Select(v => v!)
            .OrderBy(v => long.Parse(v, CultureInfo.InvariantCulture))
            .ToList();
        if (versions.Count == 0)
        {
            throw new ModelConfigException(modelPath, $"has no numeric version folder with a {ModelFileName}");
        }

        return versions;
    }
}
