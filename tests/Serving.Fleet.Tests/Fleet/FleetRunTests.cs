using Serving.Fleet.Fleet;
using Serving.Fleet.Output;
using Serving.Fleet.Pods;
using Serving.Fleet.Scenarios;
using Serving.Fleet.Simulation;
using Serving.Fleet.Traces;

namespace Serving.Fleet.Tests.Fleet;

public class FleetRunTests
{
    /// <summary>A small fleet (a few pods) through a step, sampled every 10 s: fast, and still faster than pods start.</summary>
    private static Scenario SmallStep() => new(
        "small-step",
        "test",
        360,
        10,
        [new DeploymentSpec("criteo-deepfm", PodProfiles.Cpu(), [new ModelTraffic(new SimModel("criteo-deepfm", ScenarioCatalog.Slo, CandidateDistribution.LoadGeneratorDefault), new StepTrace(4_000, 10_000, 60, 200))])])
    { StepAtSeconds = 60 };

    [Fact]
    public void The_same_seed_gives_byte_identical_output_and_another_seed_does_not()
    {
        var scenarios = new[] { SmallStep() };
        var root = Path.Combine(Path.GetTempPath(), "fleet-seed-" + Guid.NewGuid().ToString("N"));
        Dictionary<string, byte[]> Output(int seed, string name)
        {
            var directory = Path.Combine(root, name);
            var runs = Experiment.Run(scenarios, ["hpa-cpu", "allocator-keda"], seed, parallelism: 2);
            ReportWriter.Write(directory, seed, scenarios, runs, plots: false);
            return Directory.GetFiles(directory, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(directory, f), File.ReadAllBytes, StringComparer.Ordinal);
        }

        try
        {
            var first = Output(3, "a");
            var again = Output(3, "b");
            var other = Output(4, "c");

            Assert.Equal(first.Keys.Order(StringComparer.Ordinal), again.Keys.Order(StringComparer.Ordinal));
            Assert.Contains("summary.md", first.Keys);
            Assert.All(first, file => Assert.Equal(file.Value, again[file.Key]));
            var series = Path.Combine("series", "small-step-criteo-deepfm-allocator-keda.csv");
            Assert.NotEqual(first[series], other[series]); // other arrivals and request sizes: other latencies
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_oracle_uses_no_more_pod_hours_than_any_autoscaler_and_holds_the_slo()
    {
        var scenarios = new[] { SmallStep() };

        var runs = Experiment.Run(scenarios, AutoscalerSet.Names, seed: 1, parallelism: 2);

        var oracle = runs.Single(r => r.Autoscaler == "oracle");
        Assert.All(runs, r => Assert.True(oracle.PodHours <= r.PodHours, $"{r.Autoscaler}: {r.PodHours:F2} pod-hours < the oracle's {oracle.PodHours:F2}"));
        Assert.True(oracle.Models[0].WithinSloShare >= 0.95, $"oracle within the SLO in {oracle.Models[0].WithinSloShare:P1} of the windows");
        var staticPeak = runs.Single(r => r.Autoscaler == "static-peak");
        Assert.True(staticPeak.PodHours > oracle.PodHours * 1.2); // 4 pods all along against 2 before and after the step
    }

    [Fact]
    public void New_pods_take_their_start_up_time_before_serving()
    {
        var deployment = new Deployment(30, 90, Seeds.For(1, "startup"));
        deployment.ScaleTo(2, 0, instant: true);

        deployment.ScaleTo(6, 100, instant: false);

        Assert.Equal(6, deployment.CurrentPods);
        Assert.Equal(2, deployment.ReadyPods(129));
        Assert.Equal(6, deployment.ReadyPods(190));
        Assert.Equal(1, deployment.ScaleEvents);
        deployment.ScaleTo(3, 200, instant: false);
        Assert.Equal(3, deployment.ReadyPods(200));
    }
}
