using System.Globalization;
using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>
/// The headline figures of one repetition of one model (a folder rep-N/MODEL of scripts/headline.sh),
/// every ratio taken within that repetition: raw ONNX Runtime, goodput at SLO (adaptive for the
/// Criteo mix and 10 candidates, none and the best static for 10 candidates), the transport floor's
/// saturation, and the CPU split at half of the Criteo-mix goodput (<see cref="CpuSplit"/>).
/// </summary>
internal static class HeadlineFigures
{
    /// <summary>Probe names in a repetition's probe/ folder.</summary>
    public const string HalfLoadRank = "half-rank";
    public const string HalfLoadFloor = "half-floor";
    public const string FloorCriteoSaturation = "floor-criteo-saturation";
    public const string FloorSmallSaturation = "floor-small-saturation";

    /// <summary>The figures in the table's order.</summary>
    public static IReadOnlyList<HeadlineFigure> All { get; } =
    [
        new("rawOrtRowsPerSecond", "raw ONNX Runtime, rows/s (in-process, best batch)", "#,0"),
        new("criteoAdaptiveGoodput", "Criteo mix, adaptive: goodput at SLO, req/s", "#,0"),
        new("criteoAdaptiveRowsPerSecond", "Criteo mix, adaptive: rows/s at goodput", "#,0"),
        new("criteoRowsOverRawOrt", "Criteo mix rows/s ÷ raw ONNX Runtime rows/s", "0.000", "≥ 0.85", v => v >= 0.85),
        new("smallAdaptiveGoodput", "10 candidates, adaptive: goodput at SLO, req/s", "#,0"),
        new("smallNoneGoodput", "10 candidates, none: goodput at SLO, req/s", "#,0"),
        new("smallStaticBestGoodput", "10 candidates, best static: goodput at SLO, req/s", "#,0"),
        new("smallStaticBestTargetRows", "10 candidates, best static: its target batch rows", "0"),
        new("smallAdaptiveOverNone", "10 candidates: adaptive ÷ none", "0.00", "≥ 2.5", v => v >= 2.5),
        new("smallStaticBestOverNone", "10 candidates: best static ÷ none", "0.00"),
        new("floorCriteoSaturation", "transport floor, Criteo-mix requests: OK/s at saturation", "#,0"),
        new("floorCriteoOkOverOffered", "… its OK/s ÷ offered (≈ 1: not saturated, the OK/s is a lower bound)", "0.00"),
        new("floorCriteoSendLagP99Ms", "… the generator's send lag p99, ms (high: the generator, not the server, was the limit)", "0.00"),
        new("floorSmallSaturation", "transport floor, 10-candidate requests: OK/s at saturation", "#,0"),
        new("floorSmallOkOverOffered", "… its OK/s ÷ offered (≈ 1: not saturated, the OK/s is a lower bound)", "0.00"),
        new("floorSmallSendLagP99Ms", "… the generator's send lag p99, ms (high: the generator, not the server, was the limit)", "0.00"),
        new("smallAdaptiveOverFloor", "10 candidates: adaptive goodput ÷ transport floor saturation", "0.000"),
        new("halfLoadRate", "half load: offered req/s (half the Criteo-mix adaptive goodput)", "#,0"),
        new("halfLoadServerCpuUs", "half load: server CPU per request, µs", "0.0"),
        new("halfLoadTransportFloorUs", "… transport floor, µs", "0.0"),
        new("halfLoadParseAssemblyUs", "… parse and assembly, µs", "0.0"),
        new("halfLoadBatchingUs", "… batching and the rest (server − floor − parse/assembly − ONNX Runtime), µs", "0.0"),
        new("halfLoadOnnxRuntimeUs", "… ONNX Runtime in the server, µs", "0.0"),
        new("halfLoadRawOrtUsForRows", "raw ONNX Runtime for the same rows (at the server's batch size), µs", "0.0"),
        new("halfLoadBatchRows", "half load: mean rows per batch", "0.0"),
        new("p1bServerOverFloorPlusRawOrt", "P1b: server CPU ÷ (transport floor + raw ONNX Runtime for its rows)", "0.00", "≤ 1.5", v => v <= 1.5),
        new("halfLoadP50Ms", "half load: p50, ms (OK, from the intended send)", "0.00"),
        new("halfLoadP99Ms", "half load: p99, ms", "0.00"),
        new("p3P99OverP50", "P3: p99 ÷ p50 at half load", "0.00", "≤ 3", v => v <= 3),
    ];

    /// <summary>The figures of one repetition's folder for one model; a figure whose inputs are missing is null.</summary>
    public static IReadOnlyDictionary<string, double?> Of(BenchmarkRunFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var raw = files.RawOrt();
        var criteo = files.Goodput("adaptive-criteo");
        var adaptive = files.Goodput("adaptive-small")?.AchievedRate;
        var none = files.Goodput("none-small")?.AchievedRate;
        var (staticBest, staticRows) = BestStatic(files);
        var floorCriteo = files.Probe(FloorCriteoSaturation);
        var floorSmall = files.Probe(FloorSmallSaturation);
        var half = files.Probe(HalfLoadRank);
        var halfFloor = files.Probe(HalfLoadFloor);

        var batchRows = half is null ? null : Breakdown.BatchRowsMean(half);
        var split = half is null || halfFloor is null
            ? null
            : CpuSplit.From(
                Breakdown.CpuUsPerOk(half),
                Breakdown.CpuUsPerOk(halfFloor),
                files.ParseAssemble()?.UsPerRequest,
                Breakdown.ComputeUsPerOk(half),
                half.MeanCandidatesPerRequest,
                batchRows is { } b ? Breakdown.RawUsPerRow(raw, b) : null);
        var ok = half?.LatencyMsByStatus.GetValueOrDefault("OK");

        return new Dictionary<string, double?>(StringComparer.Ordinal)
        {
            ["rawOrtRowsPerSecond"] = raw?.BestRowsPerSecond,
            ["criteoAdaptiveGoodput"] = criteo?.AchievedRate,
            ["criteoAdaptiveRowsPerSecond"] = criteo?.RowsPerSecond,
            ["criteoRowsOverRawOrt"] = Ratio(criteo?.RowsPerSecond, raw?.BestRowsPerSecond),
            ["smallAdaptiveGoodput"] = adaptive,
            ["smallNoneGoodput"] = none,
            ["smallStaticBestGoodput"] = staticBest,
            ["smallStaticBestTargetRows"] = staticRows,
            ["smallAdaptiveOverNone"] = Ratio(adaptive, none),
            ["smallStaticBestOverNone"] = Ratio(staticBest, none),
            ["floorCriteoSaturation"] = floorCriteo?.OkRate,
            ["floorCriteoOkOverOffered"] = Ratio(floorCriteo?.OkRate, floorCriteo?.OfferedRate),
            ["floorCriteoSendLagP99Ms"] = floorCriteo?.SendLagMs.P99,
            ["floorSmallSaturation"] = floorSmall?.OkRate,
            ["floorSmallOkOverOffered"] = Ratio(floorSmall?.OkRate, floorSmall?.OfferedRate),
            ["floorSmallSendLagP99Ms"] = floorSmall?.SendLagMs.P99,
            ["smallAdaptiveOverFloor"] = Ratio(adaptive, floorSmall?.OkRate),
            ["halfLoadRate"] = half?.OfferedRate,
            ["halfLoadServerCpuUs"] = Round(split?.ServerUs),
            ["halfLoadTransportFloorUs"] = Round(split?.TransportFloorUs),
            ["halfLoadParseAssemblyUs"] = Round(split?.ParseAssemblyUs),
            ["halfLoadBatchingUs"] = Round(split?.BatchingUs),
            ["halfLoadOnnxRuntimeUs"] = Round(split?.OnnxRuntimeUs),
            ["halfLoadRawOrtUsForRows"] = Round(split?.RawOrtUsForRows),
            ["halfLoadBatchRows"] = Round(batchRows),
            ["p1bServerOverFloorPlusRawOrt"] = Round(split?.ServerOverFloorPlusRawOrt),
            ["halfLoadP50Ms"] = ok?.P50,
            ["halfLoadP99Ms"] = ok?.P99,
            ["p3P99OverP50"] = Ratio(ok?.P99, ok?.P50),
        };
    }

    /// <summary>The static search with the most OK/s at its goodput (goodput/static-ROWS-small), and its target rows.</summary>
    private static (double? OkRate, double? TargetRows) BestStatic(BenchmarkRunFiles files)
    {
        (double? OkRate, double? TargetRows) best = (null, null);
        foreach (var id in files.GoodputIds("static-", "-small"))
        {
            if (files.Goodput(id)?.AchievedRate is { } rate && (best.OkRate is null || rate > best.OkRate))
            {
                var rows = id["static-".Length..^"-small".Length];
                best = (rate, double.TryParse(rows, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : null);
            }
        }

        return best;
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;
}
