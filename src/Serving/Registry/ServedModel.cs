using System.Collections.Frozen;

namespace Serving.Registry;

/// <summary>
/// A model as served at one moment (an immutable snapshot): its live versions, how requests are
/// routed to them, and the state of every version the server knows of (loading, failed, …).
/// </summary>
public sealed class ServedModel
{
    public ServedModel(string name, IReadOnlyList<ServedModelVersion> versions, Func<IReadOnlyDictionary<string, ServedModelVersion>, ModelRouting> routing, IReadOnlyList<VersionStatus> statuses)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(routing);
        Name = name;
        Versions = versions;
        Live = versions.ToFrozenDictionary(v => v.Version, StringComparer.Ordinal);
        Routing = routing(Live);
        Statuses = statuses;
    }

    public string Name { get; }

    /// <summary>The versions taking requests, ascending.</summary>
    public IReadOnlyList<ServedModelVersion> Versions { get; }

    public FrozenDictionary<string, ServedModelVersion> Live { get; }

    public ModelRouting Routing { get; }

    /// <summary>Every version the server knows of, with its state (live ones included).</summary>
    public IReadOnlyList<VersionStatus> Statuses { get; }

    /// <summary>The version a request naming none gets without a split; null when no version is live.</summary>
    public ServedModelVersion? Default => Routing.Default;

    /// <summary>The given version or label, or (empty) the default one; null when no such version is live.</summary>
    public ServedModelVersion? Find(string versionOrLabel) =>
        versionOrLabel.Length == 0 ? Default : ModelRouting.Resolve(Live, Routing.Labels, versionOrLabel);
}
