using System.IO.Hashing;
using System.Text;

namespace Serving.Registry;

/// <summary>
/// How a model's requests find a version, resolved against the versions live in one snapshot:
/// labels, the weighted split of requests that name no version (sticky per request id), the shadow,
/// and the default. Labels or split entries naming a version that is not live are left out.
/// </summary>
public sealed class ModelRouting
{
    private readonly (ServedModelVersion Version, double UpTo)[] _split;
    private readonly double _totalWeight;

    public ModelRouting(
        IReadOnlyDictionary<string, ServedModelVersion> live,
        IReadOnlyDictionary<string, string> labels,
        IReadOnlyDictionary<string, double> traffic,
        Models.ShadowPolicy? shadow,
        string? defaultVersion)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(traffic);
        Labels = labels;
        Traffic = traffic;
        Shadow = shadow;
        DefaultVersion = defaultVersion;
        var split = new List<(ServedModelVersion, double)>();
        foreach (var (target, weight) in traffic.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (weight > 0 && Resolve(live, labels, target) is { } version)
            {
                _totalWeight += weight;
                split.Add((version, _totalWeight));
            }
        }

        _split = [.. split];
        ShadowVersion = shadow is { Fraction: > 0 } ? Resolve(live, labels, shadow.Target) : null;
        Default = defaultVersion is not null && live.TryGetValue(defaultVersion, out var pinned)
            ? pinned
            : live.Values.MaxBy(v => long.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture));
    }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public IReadOnlyDictionary<string, double> Traffic { get; }

    public Models.ShadowPolicy? Shadow { get; }

    public string? DefaultVersion { get; }

    /// <summary>The version requests get when they name none and there is no split: the configured default when live, else the newest live one.</summary>
    public ServedModelVersion? Default { get; }

    /// <summary>The live version the shadow mirrors to; null when there is none.</summary>
    public ServedModelVersion? ShadowVersion { get; }

    /// <summary>The version for a request that named none: by the split (the same request id always to the same version), else the default.</summary>
    public ServedModelVersion? Route(string requestId)
    {
        if (_split.Length == 0)
        {
            return Default;
        }

        var point = Fraction(requestId, salt: 0) * _totalWeight;
        foreach (var (version, upTo) in _split)
        {
            if (point < upTo)
            {
                return version;
            }
        }

        return _split[^1].Version;
    }

    /// <summary>Whether this request is one of the shadow's share (the same request id always decides the same way).</summary>
    public bool Mirrors(string requestId) => Shadow is { } shadow && ShadowVersion is not null && Fraction(requestId, salt: 1) < shadow.Fraction;

    /// <summary>A version named by number or label; null when it is not live.</summary>
    public static ServedModelVersion? Resolve(IReadOnlyDictionary<string, ServedModelVersion> live, IReadOnlyDictionary<string, string> labels, string versionOrLabel)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(labels);
        if (live.TryGetValue(versionOrLabel, out var byNumber))
        {
            return byNumber;
        }

        return labels.TryGetValue(versionOrLabel, out var version) && live.TryGetValue(version, out var byLabel) ? byLabel : null;
    }

    /// <summary>A request id's fixed place in [0, 1) (a random one without an id).</summary>
    private static double Fraction(string requestId, ulong salt)
    {
        if (requestId.Length == 0)
        {
            return Random.Shared.NextDouble();
        }

        Span<byte> utf8 = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(requestId) <= utf8.Length ? utf8[..Encoding.UTF8.GetBytes(requestId, utf8)] : Encoding.UTF8.GetBytes(requestId);
        var hash = XxHash64.HashToUInt64(bytes, (long)salt);
        return (hash >> 11) * (1.0 / (1UL << 53));
    }
}
