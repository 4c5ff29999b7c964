using Serving.Models;

namespace Serving.Registry;

/// <summary>What the lifecycle knows of one model between scans (used under its lock only).</summary>
internal sealed class ModelEntry(string name, string folder)
{
    public string Name { get; } = name;
    public string Folder { get; } = folder;
    public string ConfigPath => Path.Combine(Folder, ModelFolder.ConfigFileName);

    /// <summary>What the model's config.json declares (the last valid one read).</summary>
    public ModelPolicy Policy { get; set; } = ModelPolicy.Default;

    /// <summary>Why the model's config.json could not be read this time; null when it could.</summary>
    public string? PolicyProblem { get; set; }

    /// <summary>Set by the control API, over what the config declares; null: the config's.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; set; }

    public IReadOnlyDictionary<string, double>? Traffic { get; set; }

    public ShadowPolicy? Shadow { get; set; }

    /// <summary>True once the control API set the shadow (<see cref="Shadow"/> null then means off, not the config's).</summary>
    public bool ShadowSet { get; set; }

    /// <summary>True while the control API has unloaded the whole model (until it loads a version again).</summary>
    public bool Unloaded { get; set; }

    /// <summary>Versions the control API loaded beside the policy's, and versions it unloaded.</summary>
    public HashSet<string> Pinned { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Excluded { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, LoadedVersion> Loaded { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, FailedVersion> Failed { get; } = new(StringComparer.Ordinal);

    /// <summary>Versions loading now, and versions draining before disposal (for their status).</summary>
    public Dictionary<string, DateTimeOffset> Loading { get; } = new(StringComparer.Ordinal);

    public Dictionary<ServedModelVersion, DateTimeOffset> Unloading { get; } = [];

    public IReadOnlyDictionary<string, string> EffectiveLabels => Labels ?? Policy.Labels;

    public IReadOnlyDictionary<string, double> EffectiveTraffic => Traffic ?? Policy.Traffic;

    public ShadowPolicy? EffectiveShadow => ShadowSet ? Shadow : Policy.Shadow;
}

/// <summary>A live version and the fingerprint of the files it was loaded from.</summary>
internal sealed record LoadedVersion(ServedModelVersion Version, string Fingerprint, DateTimeOffset Since);

/// <summary>A version that could not be loaded from these files, and why (retried when the files change).</summary>
internal sealed record FailedVersion(string Fingerprint, string Reason, DateTimeOffset Since);
