namespace Serving.Benchmarks.Tests;

/// <summary>The benchmark commands keep the options and defaults scripts/benchmark.sh relies on.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void ProbeDefaultsAreTheOnesBeforeSystemCommandLine()
    {
        var options = ProbeCommand.Bind([]);

        Assert.Equal(new Uri("http://127.0.0.1:8081"), options.Target);
        Assert.Equal(100, options.RatePerSecond);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Duration);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Warmup);
        Assert.Equal("lognormal:165,1.0,1024", options.Candidates);
        Assert.Null(options.DataPath);
        Assert.EndsWith(Path.Combine("models", "criteo-deepfm", "config.json"), options.ModelConfigPath, StringComparison.Ordinal);
        Assert.Equal(1000, options.MaxInFlight);
        Assert.Equal(1, options.Seed);
        Assert.Null(options.MetricsUrl);
        Assert.Null(options.ServerPid);
        Assert.Null(options.OutputPath);
        Assert.Equal("probe", options.Label);
        Assert.Equal(ProbeCall.Rank, options.Call);
    }

    [Fact]
    public void ProbeTakesTheScriptsCommandLine()
    {
        // As scripts/benchmark.sh's overload probe passes it: bare seconds, a fractional rate.
        var options = ProbeCommand.Bind(
        [
            "--config", "/m/config.json", "--data", "/d/criteo.txt", "--target", "http://127.0.0.1:4001",
            "--metrics", "http://127.0.0.1:4000/metrics", "--server-pid", "1234", "--label", "overload",
            "--candidates", "fixed:100", "--rate", "1537.5", "--duration", "15", "--warmup", "0",
            "--max-in-flight", "5000", "--out", "/o/overload.json",
        ]);

        Assert.Equal(new Uri("http://127.0.0.1:4001"), options.Target);
        Assert.Equal(new Uri("http://127.0.0.1:4000/metrics"), options.MetricsUrl);
        Assert.Equal(1234, options.ServerPid);
        Assert.Equal(1537.5, options.RatePerSecond);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Duration);
        Assert.Equal(TimeSpan.Zero, options.Warmup);
        Assert.Equal(5000, options.MaxInFlight);
        Assert.Equal(("fixed:100", "/d/criteo.txt", "/m/config.json", "/o/overload.json", "overload"),
            (options.Candidates, options.DataPath, options.ModelConfigPath, options.OutputPath, options.Label));
    }

    [Fact]
    public void ProbeCallsListModelsOrTheServersTransportFloor()
    {
        Assert.Equal(ProbeCall.Rank, ProbeCommand.Bind([]).Call);
        Assert.Equal(ProbeCall.List, ProbeCommand.Bind(["--call", "list"]).Call);
        Assert.Equal(ProbeCall.Floor, ProbeCommand.Bind(["--call", "floor"]).Call);
    }

    [Theory]
    [InlineData("--rate", "fast", "fast")]
    [InlineData("--rate", "0", "--rate must be a positive")]
    [InlineData("--duration", "ten", "is not a duration")]
    [InlineData("--metrics", "not a url", "is not an absolute URL")]
    [InlineData("--call", "rank-all", "rank-all")]
    [InlineData("--target", "http://10.0.0.5:8081", "refusing non-loopback target")]
    public void ProbeRefusesABadValueNamingIt(string option, string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => ProbeCommand.Bind([option, value]));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RawOrtDefaultsAreTheOnesBeforeSystemCommandLine()
    {
        var options = RawOrtCommand.Bind([]);

        Assert.EndsWith(Path.Combine("models", "criteo-deepfm", "config.json"), options.ModelConfigPath, StringComparison.Ordinal);
        Assert.Equal("1", options.Version);
        Assert.Equal(1, options.SecondsPerBatchSize);
        Assert.Equal(1024, options.MaxBatchRows);
        Assert.Null(options.OutputPath);
        Assert.Null(options.DataPath);
        Assert.Equal(1, options.BatchCount);
    }

    [Fact]
    public void RawOrtRotates64BatchesOfDataUnlessToldOtherwise()
    {
        Assert.Equal(64, RawOrtCommand.Bind(["--data", "/d/criteo.txt"]).BatchCount);
        Assert.Equal(8, RawOrtCommand.Bind(["--data", "/d/criteo.txt", "--batches", "8"]).BatchCount);
        Assert.Equal(0.5, RawOrtCommand.Bind(["--seconds", "0.5"]).SecondsPerBatchSize);
    }

    [Fact]
    public void RawOrtRunsBackToBackUnlessAskedToIdleBeforeEachRun()
    {
        Assert.Equal(0, RawOrtCommand.Bind([]).IdleMs);
        Assert.Equal(10, RawOrtCommand.Bind(["--idle-ms", "10"]).IdleMs);
        var error = Assert.Throws<ArgumentException>(() => RawOrtCommand.Bind(["--idle-ms", "-1"]));
        Assert.Contains("--idle-ms", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RawOrtRefusesABadNumber()
    {
        var error = Assert.Throws<ArgumentException>(() => RawOrtCommand.Bind(["--max-batch", "lots"]));
        Assert.Contains("lots", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "raw-ort", "--seconds", "1" }, true)]
    [InlineData(new[] { "probe" }, true)]
    [InlineData(new[] { "free-ports", "2" }, true)]
    [InlineData(new[] { "report", "--dir", "x" }, true)]
    [InlineData(new[] { "--filter", "*HotPathBenchmarks*" }, false)]
    [InlineData(new string[0], false)]
    public void AnythingButTheCommandsGoesToBenchmarkDotNet(string[] args, bool handled) =>
        Assert.Equal(handled, BenchmarkCommands.Handles(BenchmarkCommands.Create(), args));

    [Fact]
    public void FreePortsParsesItsCountAndDefaultsToOne()
    {
        var root = BenchmarkCommands.Create();
        Assert.Empty(root.Parse(["free-ports", "2"]).Errors);
        Assert.Empty(root.Parse(["free-ports"]).Errors);
        Assert.NotEmpty(root.Parse(["free-ports", "two"]).Errors);
    }
}
