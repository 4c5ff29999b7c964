using System.Collections.Frozen;
using System.Globalization;

namespace Serving.Models;

/// <summary>How a model's versions are chosen from disk: the latest N, specific ones, or all.</summary>
public sealed record VersionPolicy(VersionPolicyKind Kind, int Latest, IReadOnlySet<string> Specific)
{
    public static VersionPolicy LatestOne { get; } = new(VersionPolicyKind.Latest, 1, FrozenSet<string>.Empty);

    /// <summary>The versions this policy serves out of those on disk (numeric, ascending).</summary>
    public IReadOnlyList<string> Select(IReadOnlyList<string> onDisk) => Kind switch
    {
        VersionPolicyKind.All => onDisk,
        VersionPolicyKind.Specific => onDisk.Where(Specific.Contains).ToList(),
        _ => onDisk.Skip(Math.Max(0, onDisk.Count - Latest)).ToList(),
    };

    public override string ToString() => Kind switch
    {
        VersionPolicyKind.All => "all",
        VersionPolicyKind.Specific => $"specific [{string.Join(", ", Specific.Order(StringComparer.Ordinal))}]",
        _ => $"latest {Latest.ToString(CultureInfo.InvariantCulture)}",
    };
}

public enum VersionPolicyKind
{
    Latest,
    Specific,
    All,
}

/// <summary>Mirror <see cref="Fraction"/> of a model's traffic to <see cref="Target"/> (a version or a label).</summary>
public sealed record ShadowPolicy(string Target, double Fraction);

/// <summary>
/// What a model's own (model-level) config.json says about its versions: which are served, labels,
/// the traffic split of requests that name no version, a shadow, and the default version. The
/// control API may replace labels, split and shadow at run time.
/// </summary>
public sealed record ModelPolicy(
    VersionPolicy Versions,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, double> Traffic,
    ShadowPolicy? Shadow,
    string? DefaultVersion)
{
    public static ModelPolicy Default { get; } = new(VersionPolicy.LatestOne, FrozenDictionary<string, string>.Empty, FrozenDictionary<string, double>.Empty, null, null);
}
