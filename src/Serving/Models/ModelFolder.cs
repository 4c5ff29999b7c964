using System.Globalization;

namespace Serving.Models;

/// <summary>Finds models and their numeric version folders in a repository directory.</summary>
public static class ModelFolder
{
    public const string ConfigFileName = "config.json";
    public const string ModelFileName = "model.onnx";

    /// <summary>Every subfolder of <paramref name="repositoryPath"/> that holds a config.json (none: an empty list).</summary>
    public static IReadOnlyList<string> FindModels(string repositoryPath)
    {
        if (!Directory.Exists(repositoryPath))
        {
            throw new ModelConfigException(repositoryPath, "model repository folder does not exist");
        }

        return Directory.GetDirectories(repositoryPath)
            .Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, ConfigFileName)))
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The model's numeric version folders that hold a model.onnx, in ascending numeric order (none:
    /// an empty list). A folder still being written under another name (a temporary one, renamed
    /// into place when complete) is not numeric, so it is never seen half-written.
    /// </summary>
    public static IReadOnlyList<string> FindVersions(string modelPath) =>
        Directory.GetDirectories(modelPath)
            .Select(Path.GetFileName)
            .Where(ModelConfigLoader.IsVersionNumber)
            .Where(v => File.Exists(Path.Combine(modelPath, v!, ModelFileName)))
            .Select(v => v!)
            .OrderBy(v => long.Parse(v, CultureInfo.InvariantCulture))
            .ToList();

    /// <summary>The version folder's own config.json (it may not exist: then the model's applies).</summary>
    public static string VersionConfigPath(string modelPath, string version) => Path.Combine(modelPath, version, ConfigFileName);

    public static string ModelPath(string modelPath, string version) => Path.Combine(modelPath, version, ModelFileName);
}
