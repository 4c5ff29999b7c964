using Serving.Fleet.Simulation;
using Serving.Fleet.Traces;

namespace Serving.Fleet.Tests.Traces;

public class TraceTests
{
    [Fact]
    public void Step_holds_the_high_rate_for_its_duration_only()
    {
        var trace = new StepTrace(100, 300, atSeconds: 10, forSeconds: 5);

        Assert.Equal(100, trace.RequestsPerSecond(9));
        Assert.Equal(300, trace.RequestsPerSecond(10));
        Assert.Equal(300, trace.RequestsPerSecond(14));
        Assert.Equal(100, trace.RequestsPerSecond(15));
    }

    [Fact]
    public void Diurnal_runs_from_trough_to_crest_half_a_period_later()
    {
        var trace = new DiurnalTrace(1_000, 5_000, periodSeconds: 86_400, troughAtSeconds: 3_600);

        Assert.Equal(1_000, trace.RequestsPerSecond(3_600), 6);
        Assert.Equal(5_000, trace.RequestsPerSecond(3_600 + 43_200), 6);
        Assert.Equal(3_000, trace.RequestsPerSecond(3_600 + 21_600), 6);
    }

    [Fact]
    public void Flash_crowd_ramps_holds_then_decays_on_top_of_the_base()
    {
        var trace = new FlashCrowdTrace(new StepTrace(100, 100, 0, 0), extraPerSecond: 1_000, atSeconds: 60, rampSeconds: 20, holdSeconds: 30, decaySeconds: 10);

        Assert.Equal(100, trace.RequestsPerSecond(59));
        Assert.Equal(600, trace.RequestsPerSecond(70), 6);
        Assert.Equal(1_100, trace.RequestsPerSecond(80), 6);
        Assert.Equal(1_100, trace.RequestsPerSecond(110), 6);
        Assert.Equal(100 + (1_000 * Math.Exp(-1)), trace.RequestsPerSecond(120), 6);
    }

    [Fact]
    public void Noise_is_the_same_for_the_same_seed_and_averages_to_the_base()
    {
        var a = new NoisyTrace(new StepTrace(1_000, 1_000, 0, 0), 0.1, 0.9, 20_000, Seeds.For(7, "trace"));
        var b = new NoisyTrace(new StepTrace(1_000, 1_000, 0, 0), 0.1, 0.9, 20_000, Seeds.For(7, "trace"));
        var c = new NoisyTrace(new StepTrace(1_000, 1_000, 0, 0), 0.1, 0.9, 20_000, Seeds.For(8, "trace"));

        var seconds = Enumerable.Range(0, 20_000).ToArray();
        Assert.Equal(seconds.Select(s => a.RequestsPerSecond(s)), seconds.Select(s => b.RequestsPerSecond(s)));
        Assert.NotEqual(seconds.Select(s => a.RequestsPerSecond(s)), seconds.Select(s => c.RequestsPerSecond(s)));
        Assert.InRange(seconds.Average(s => a.RequestsPerSecond(s)), 970, 1_030);
        Assert.Contains(seconds, s => a.RequestsPerSecond(s) > 1_100);
    }

    [Fact]
    public void Csv_trace_takes_the_last_column_skips_the_header_and_holds_the_last_rate()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(path, ["second,rate", "0,10", "1,20.5", "2,30"]);
            var trace = CsvTrace.Load(path);

            Assert.Equal(3, trace.Seconds);
            Assert.Equal(10, trace.RequestsPerSecond(0));
            Assert.Equal(20.5, trace.RequestsPerSecond(1.7));
            Assert.Equal(30, trace.RequestsPerSecond(100));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Candidates_follow_the_load_generators_log_normal_within_bounds()
    {
        var random = Seeds.For(1, "candidates");
        var draws = Enumerable.Range(0, 50_000).Select(_ => CandidateDistribution.LoadGeneratorDefault.Next(random)).ToArray();

        Assert.All(draws, d => Assert.InRange(d, 1, 1024));
        Assert.InRange(draws.Average(), 150, 170); // mean 165, a little less after the cap at 1,024
    }
}
