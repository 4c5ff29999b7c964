using System.Globalization;

namespace Serving.Registry;

/// <summary>
/// What a version's files looked like when it was loaded (sizes and write times of the model's
/// config.json, the version's config.json and model.onnx): a change means reload it.
/// </summary>
internal static class VersionFingerprint
{
    public static string Of(string modelFolder, string version) =>
        string.Join('|', Describe(Path.Combine(modelFolder, Models.ModelFolder.ConfigFileName)),
            Describe(Models.ModelFolder.VersionConfigPath(modelFolder, version)),
            Describe(Models.ModelFolder.ModelPath(modelFolder, version)));

    private static string Describe(string path)
    {
        var file = new FileInfo(path);
        return file.Exists
            ? string.Create(CultureInfo.InvariantCulture, $"{file.Length}@{file.LastWriteTimeUtc.Ticks}")
            : "-";
    }
}
