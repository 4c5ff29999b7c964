using System.Globalization;
using System.Text;
using Serving.Allocation;
using Serving.Fleet.Devices;
using Serving.Fleet.Fleet;
using Serving.Fleet.Pods;
using Serving.Fleet.Scenarios;
using Serving.Fleet.Simulation;
using Serving.Fleet.Traces;

namespace Serving.Fleet.Validation;

/// <summary>
/// The simulator's prediction for one pod at fixed loads, to set against a real load-test run
/// (scripts/fleet-validate.sh): criteo-deepfm on <c>--cores</c> cores with the server's defaults
/// (2 CPU session replicas, adaptive batching, the allocator on), each rate offered for a warm-up
/// and then <c>--seconds</c> measured 1-s windows (<c>--gpu</c>: the GPU pod of <see cref="PodProfiles.Gpu"/> instead). Prints OK/s, p50/p99 of the answered requests
/// and the refused-or-late share per rate.
/// </summary>
internal static class SinglePodPrediction
{
    public static int Run(Arguments arguments)
    {
        var seed = arguments.Int("seed", 1);
        var cores = arguments.Int("cores", 1);
        var seconds = arguments.Int("seconds", 20);
        var warmUp = arguments.Int("warm-up", 10);
        var rates = arguments.List("rates", ["300", "900", "1500"]).Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToList();
        var profile = arguments.Flag("gpu") ? PodProfiles.Gpu() : PodProfiles.Cpu(cores) with { Name = $"cpu-{cores}core", LoadedReplicas = 2 };
        var model = new SimModel("criteo-deepfm", ScenarioCatalog.Slo, CandidateDistribution.LoadGeneratorDefault);
        var text = new StringBuilder("| offered req/s | predicted OK/s | p50 ms | p99 ms (answered) | refused or late | core busy | 1-s windows within SLO |\n|---:|---:|---:|---:|---:|---:|---:|\n");
        foreach (var rate in rates)
        {
            var prediction = Predict(profile, model, rate, warmUp, seconds, seed);
            text.Append(CultureInfo.InvariantCulture, $"| {rate:F0} | {prediction.OkPerSecond:F0} | {prediction.P50Ms:F2} | {prediction.P99Ms:F2} | {prediction.FailedShare:P1} | {prediction.CpuUtilization:P0} | {prediction.WithinSloShare:P0} |\n");
        }

        Console.Write(text.ToString());
        return 0;
    }

    /// <summary>What one pod does at a constant offered rate, the allocator stepping every 2 s as in the server.</summary>
    public static Prediction Predict(PodProfile profile, SimModel model, double rate, int warmUpSeconds, int seconds, int seed)
    {
        var clock = new SimClock(SimClock.Epoch);
        var pod = new PodSimulator(profile, [model], clock, Seeds.For(seed, $"predict/{rate}"));
        var allocator = new PodAllocator(new AllocatorOptions());
        var latencies = new List<double>();
        double offered = 0, answered = 0, failed = 0, busy = 0, windows = 0, good = 0;
        for (var s = 0; s < warmUpSeconds + seconds; s += 2)
        {
            var window = pod.RunWindow([rate], 0, 2);
            allocator.Step(pod, window, 1, clock.Now);
            if (s < warmUpSeconds)
            {
                continue;
            }

            var lane = window.Lanes[0];
            offered += lane.Offered;
            answered += lane.Answered;
            failed += lane.Refused + lane.Late;
            busy += window.CpuUtilization;
            latencies.AddRange(lane.LatenciesMs);
            windows++;
            good += WindowVerdict.WithinSlo(lane, model.Slo) ? 1 : 0;
        }

        var sorted = latencies.ToArray();
        Array.Sort(sorted);
        var measuredSeconds = seconds - (seconds % 2);
        return new Prediction(
            answered / Math.Max(measuredSeconds, 1),
            sorted.Length > 0 ? PodAllocator.Quantile(sorted, 0.5) : double.NaN,
            sorted.Length > 0 ? PodAllocator.Quantile(sorted, 0.99) : double.NaN,
            offered > 0 ? failed / offered : 0,
            busy / Math.Max(measuredSeconds / 2, 1),
            windows > 0 ? good / windows : 1);
    }
}

/// <summary>The predicted figures of one pod at one rate (WithinSloShare: of the measured 2-s windows, those whose p99 over all offered requests was within the SLO).</summary>

internal sealed record Prediction(double OkPerSecond, double P50Ms, double P99Ms, double FailedShare, double CpuUtilization, double WithinSloShare);
