using Serving.Fleet.Devices;
using Serving.Fleet.Fleet;
using Serving.Fleet.Pods;
using Serving.Fleet.Simulation;
using Serving.Fleet.Traces;

namespace Serving.Fleet.Scenarios;

/// <summary>
/// The scenarios of docs/fleet.md. Rates are fleet-wide requests per second of
/// <see cref="CandidateDistribution.LoadGeneratorDefault"/> requests (mean 165 candidates); one
/// 2-core pod of criteo-deepfm holds its SLO up to about 2,800 req/s (calibrated), so the peaks
/// need tens of pods, and every change is faster than a pod starts (30–90 s).
/// </summary>
internal static class ScenarioCatalog
{
    public static readonly TimeSpan Slo = TimeSpan.FromMilliseconds(10);

    public static IReadOnlyList<string> Names { get; } = ["step", "flash-crowd", "day", "shared", "gpu-step"];

    public static Scenario Create(string name, int seed, string? traceCsv = null) => name switch
    {
        "step" => Step(),
        "flash-crowd" => FlashCrowd(seed),
        "day" => Day(seed),
        "shared" => Shared(seed),
        "gpu-step" => GpuStep(),
        "replay" => Replay(traceCsv ?? throw new ArgumentException("the replay scenario needs --trace FILE.csv")),
        _ => throw new ArgumentException($"unknown scenario '{name}' (known: {string.Join(", ", Names)}, replay)"),
    };

    private static SimModel Model(string name) => new(name, Slo, CandidateDistribution.LoadGeneratorDefault);

    private static DeploymentSpec One(string model, PodProfile profile, ITrace trace) => new(model, profile, [new ModelTraffic(Model(model), trace)]);

    /// <summary>20,000 req/s, a step to 50,000 at 5 min for 15 min, back to 20,000: how fast each autoscaler settles.</summary>
    private static Scenario Step() => new(
        "step",
        "criteo-deepfm, 20,000 req/s stepping to 50,000 at 5 min for 15 min, then back; 30 min",
        1800,
        2,
        [One("criteo-deepfm", PodProfiles.Cpu(), new StepTrace(20_000, 50_000, 300, 900))])
    { StepAtSeconds = 300 };

    /// <summary>The step on GPU pods (1 GPU with the documented parameter set, 4 cores for request handling).</summary>
    private static Scenario GpuStep() => new(
        "gpu-step",
        "criteo-deepfm on GPU pods (1 GPU, data/gpu.csv: a parameter set, not a measurement; 4 cores for request handling), 20,000 req/s stepping to 50,000 at 5 min for 15 min; 30 min",
        1800,
        2,
        [One("criteo-deepfm", PodProfiles.Gpu(), new StepTrace(20_000, 50_000, 300, 900))])
    { StepAtSeconds = 300 };

    /// <summary>A rising afternoon with 5% noise and a flash crowd of +40,000 req/s in 30 s at 15 min, held 4 min.</summary>
    private static Scenario FlashCrowd(int seed)
    {
        var baseline = new NoisyTrace(new DiurnalTrace(25_000, 35_000, 4800), 0.05, 0.9, 2400, Seeds.For(seed, "trace/flash-crowd"));
        return new(
            "flash-crowd",
            "criteo-deepfm, 25,000 rising to 35,000 req/s with 5% noise, +40,000 req/s flash crowd at 15 min (30 s ramp, 4 min hold, 90 s decay); 40 min",
            2400,
            2,
            [One("criteo-deepfm", PodProfiles.Cpu(), new FlashCrowdTrace(baseline, 40_000, 900, 30, 240, 90))])
        { StepAtSeconds = 900 };
    }

    /// <summary>A day: 8,000 req/s at 04:00 to 60,000 at 16:00, 5% noise, two flash crowds.</summary>
    private static Scenario Day(int seed)
    {
        ITrace trace = new DiurnalTrace(8_000, 60_000, 86_400, troughAtSeconds: 4 * 3600);
        trace = new NoisyTrace(trace, 0.05, 0.95, 86_400, Seeds.For(seed, "trace/day"));
        trace = new FlashCrowdTrace(trace, 25_000, 12.5 * 3600, 60, 600, 300);
        trace = new FlashCrowdTrace(trace, 30_000, 20 * 3600, 20, 300, 180);
        return new(
            "day",
            "criteo-deepfm, 24 h: 8,000 req/s at 04:00 to 60,000 at 16:00 with 5% noise; flash crowds of +25,000 at 12:30 (60 s ramp, 10 min) and +30,000 at 20:00 (20 s ramp, 5 min)",
            86_400,
            30,
            [One("criteo-deepfm", PodProfiles.Cpu(), trace)]);
    }

    /// <summary>Two models whose peaks alternate: one deployment each, or one deployment whose pods serve both.</summary>
    private static Scenario Shared(int seed)
    {
        ITrace criteo = new NoisyTrace(new DiurnalTrace(6_000, 30_000, 3600), 0.05, 0.9, 3600, Seeds.For(seed, "trace/shared/criteo"));
        ITrace avazu = new NoisyTrace(new DiurnalTrace(4_000, 20_000, 3600, troughAtSeconds: 1800), 0.05, 0.9, 3600, Seeds.For(seed, "trace/shared/avazu"));
        var cpu = PodProfiles.Cpu();
        return new(
            "shared",
            "criteo-deepfm 6,000–30,000 req/s and avazu-dcn 20,000–4,000 req/s, peaks half an hour apart, 5% noise; 1 h: a deployment per model, or one deployment whose pods serve both",
            3600,
            6,
            [
                One("criteo-deepfm", cpu, criteo),
                One("avazu-dcn", cpu, avazu),
                new DeploymentSpec("shared", cpu, [new ModelTraffic(Model("criteo-deepfm"), criteo), new ModelTraffic(Model("avazu-dcn"), avazu)]),
            ]);
    }

    /// <summary>criteo-deepfm offered a replayed per-second trace (CSV), detail every 5 s.</summary>
    private static Scenario Replay(string path)
    {
        var trace = CsvTrace.Load(path);
        return new("replay", $"criteo-deepfm, replayed from {Path.GetFileName(path)}", trace.Seconds, 5, [One("criteo-deepfm", PodProfiles.Cpu(), trace)]);
    }
}
