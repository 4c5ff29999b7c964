using System.Text.Json.Nodes;

namespace Serving.IntegrationTests.Lifecycle;

/// <summary>
/// A model repository in a temporary folder that tests change while the server runs: one model,
/// <c>ctr</c>, whose versions are copies of the shipped models' files. Versions are published as a
/// training pipeline should: written to a hidden temporary folder, then renamed into place.
/// </summary>
internal sealed class LiveRepository : IDisposable
{
    public const string Model = "ctr";

    public LiveRepository()
    {
        Root = Directory.CreateTempSubdirectory("serving-live-").FullName;
    }

    public string Root { get; }

    public string ModelFolder => Path.Combine(Root, Model);

    /// <summary>Writes the model's own config.json: the shipped <paramref name="source"/>'s, renamed, lenient SLO, then <paramref name="edit"/>.</summary>
    public void WriteModelConfig(string source = "criteo-deepfm", Action<JsonObject>? edit = null)
    {
        var config = ShippedConfig(source);
        config["name"] = Model;
        config["sloP99Ms"] = 5000;
        edit?.Invoke(config);
        Directory.CreateDirectory(ModelFolder);
        WriteAtomically(Path.Combine(ModelFolder, "config.json"), config.ToJsonString());
    }

    /// <summary>Publishes version <paramref name="version"/> with the shipped <paramref name="source"/>'s model.onnx (and, when asked, its features in a version config.json).</summary>
    public void PublishVersion(string version, string source = "criteo-deepfm", bool withOwnConfig = false)
    {
        PublishFolder(version, temp =>
        {
            File.Copy(Path.Combine(RepositoryPaths.Models, source, "1", "model.onnx"), Path.Combine(temp, "model.onnx"));
            if (withOwnConfig)
            {
                // What may differ per version: inputs, features, hashing, output.
                var shipped = ShippedConfig(source);
                var own = new JsonObject
                {
                    ["hashSeed"] = shipped["hashSeed"]!.DeepClone(),
                    ["inputs"] = shipped["inputs"]!.DeepClone(),
                    ["output"] = shipped["output"]!.DeepClone(),
                    ["features"] = shipped["features"]!.DeepClone(),
                };
                File.WriteAllText(Path.Combine(temp, "config.json"), own.ToJsonString());
            }
        });
    }

    /// <summary>Publishes a version whose model.onnx is not an ONNX model.</summary>
    public void PublishCorruptVersion(string version) =>
        PublishFolder(version, temp => File.WriteAllBytes(Path.Combine(temp, "model.onnx"), [0x08, 0x07, 0x12, 0xFF, 0x00, 0x42, 0x13]));

    public void RemoveVersion(string version) => Directory.Delete(Path.Combine(ModelFolder, version), recursive: true);

    public void RemoveModel() => Directory.Delete(ModelFolder, recursive: true);

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private void PublishFolder(string version, Action<string> fill)
    {
        var temp = Path.Combine(ModelFolder, $".tmp-{version}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        fill(temp);
        Directory.Move(temp, Path.Combine(ModelFolder, version));
    }

    private static JsonObject ShippedConfig(string source) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Models, source, "config.json")))!.AsObject();

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
