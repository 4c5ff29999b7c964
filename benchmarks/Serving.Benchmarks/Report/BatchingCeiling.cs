using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>
/// The most OK/s each mode answered when offered more than any can take (the saturation probes),
/// and what that bounds: no mode's goodput exceeds its throughput, so adaptive ÷ none goodput is
/// at most adaptive's throughput ÷ none's goodput. A probe counts only when it saturated the
/// server (its core at least <see cref="SaturatedCoreShare"/> busy) and the load generator kept
/// its schedule (send lag p99 at most <see cref="MaxSaturationSendLagMs"/>): near the generator's
/// own limit it sends in bursts, the server refuses them, and OK/s then measures the generator.
/// Written flat, one group of four keys per mode.
/// </summary>
internal sealed record BatchingCeiling
{
    public const double SaturatedCoreShare = 0.9;
    public const double MaxSaturationSendLagMs = 10;

    public double? OfferedRate { get; init; }

    public double? AdaptiveOkRate { get; init; }

    public double? AdaptiveCoreBusy { get; init; }

    public double? AdaptiveSendLagP99Ms { get; init; }

    public bool AdaptiveSaturated { get; init; }

    public double? StaticOkRate { get; init; }

    public double? StaticCoreBusy { get; init; }

    public double? StaticSendLagP99Ms { get; init; }

    public bool StaticSaturated { get; init; }

    public double? NoneOkRate { get; init; }

    public double? NoneCoreBusy { get; init; }

    public double? NoneSendLagP99Ms { get; init; }

    public bool NoneSaturated { get; init; }

    public double? BestOverNone { get; init; }

    public double? AdaptiveOverNoneGoodputBound { get; init; }

    /// <summary>One mode's saturation probe; all null and not saturated when it is missing.</summary>
    internal sealed record ModeProbe(double? OkRate, double? CoreBusy, double? SendLagP99Ms, bool Saturated);

    public ModeProbe For(string mode) => mode switch
    {
        "adaptive" => new(AdaptiveOkRate, AdaptiveCoreBusy, AdaptiveSendLagP99Ms, AdaptiveSaturated),
        "static" => new(StaticOkRate, StaticCoreBusy, StaticSendLagP99Ms, StaticSaturated),
        "none" => new(NoneOkRate, NoneCoreBusy, NoneSendLagP99Ms, NoneSaturated),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a batching mode"),
    };

    /// <summary>From probe/MODE-small-saturation.json of each mode; null when there are none.</summary>
    public static BatchingCeiling? Build(BenchmarkRunFiles files, double? noneGoodput)
    {
        ArgumentNullException.ThrowIfNull(files);
        var probes = BenchmarkGrid.Modes.ToDictionary(m => m, m => files.Probe($"{m}-small-saturation"));
        if (probes.Values.All(p => p is null))
        {
            return null;
        }

        var modes = probes.ToDictionary(p => p.Key, p => Judge(p.Value));
        var valid = modes.Where(m => m.Value.Saturated).ToDictionary(m => m.Key, m => m.Value.OkRate!.Value);
        var (adaptive, @static, none) = (modes["adaptive"], modes["static"], modes["none"]);
        return new BatchingCeiling
        {
            OfferedRate = probes.Values.First(p => p is not null)!.OfferedRate,
            AdaptiveOkRate = adaptive.OkRate,
            AdaptiveCoreBusy = adaptive.CoreBusy,
            AdaptiveSendLagP99Ms = adaptive.SendLagP99Ms,
            AdaptiveSaturated = adaptive.Saturated,
            StaticOkRate = @static.OkRate,
            StaticCoreBusy = @static.CoreBusy,
            StaticSendLagP99Ms = @static.SendLagP99Ms,
            StaticSaturated = @static.Saturated,
            NoneOkRate = none.OkRate,
            NoneCoreBusy = none.CoreBusy,
            NoneSendLagP99Ms = none.SendLagP99Ms,
            NoneSaturated = none.Saturated,
            BestOverNone = valid.TryGetValue("none", out var noneMost) && valid.Count > 1 ? Ratio(valid.Values.Max(), noneMost) : null,
            AdaptiveOverNoneGoodputBound = valid.TryGetValue("adaptive", out var adaptiveMost) ? Ratio(adaptiveMost, noneGoodput) : null,
        };
    }

    private static ModeProbe Judge(ProbeResult? probe)
    {
        var busy = probe?.ServerCpuSeconds / probe?.DurationSeconds;
        var lag = probe?.SendLagMs.P99;
        var ok = probe?.OkRate;
        return new ModeProbe(ok, busy, lag, ok is not null && busy >= SaturatedCoreShare && lag <= MaxSaturationSendLagMs);
    }
}
