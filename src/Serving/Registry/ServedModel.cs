namespace Serving.Registry;

/// <summary>A model and its served versions, newest last.</summary>
public sealed class ServedModel
{
    public ServedModel(string name, IReadOnlyList<ServedModelVersion> versions, string defaultVersion)
    {
        Name = name;
        Versions = versions;
        Default = versions.FirstOrDefault(v => v.Version == defaultVersion)
            ?? throw new ArgumentException($"default version '{defaultVersion}' is not among the versions", nameof(defaultVersion));
    }

    public string Name { get; }
    public IReadOnlyList<ServedModelVersion> Versions { get; }
    public ServedModelVersion Default { get; }

    /// <summary>The given version, or the default one for an empty string; null when no such version is served.</summary>
    public ServedModelVersion? Find(string version)
    {
        if (version.Length == 0)
        {
            return Default;
        }

        foreach (var v in Versions)
        {
            if (v.Version == version)
            {
                return v;
            }
        }

        return null;
    }
}
