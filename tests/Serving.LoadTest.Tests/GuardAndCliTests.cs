using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Arrivals;
using Serving.LoadTest.Commands;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Tests;

public sealed class GuardAndCliTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8081")]
    [InlineData("http://127.0.0.2:9000")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://[::1]:8081")]
    public void LoopbackTargetsAreAllowed(string url) => TargetGuard.EnsureAllowed(new Uri(url), allowRemote: false);

    [Theory]
    [InlineData("http://10.0.0.5:8081")]
    [InlineData("http://192.168.1.1:8081")]
    [InlineData("http://example.com:8081")]
    public void RemoteTargetsNeedAllowRemote(string url)
    {
        var ex = Assert.Throws<ArgumentException>(() => TargetGuard.EnsureAllowed(new Uri(url), allowRemote: false));
        Assert.Contains("--allow-remote", ex.Message, StringComparison.Ordinal);
        TargetGuard.EnsureAllowed(new Uri(url), allowRemote: true);
    }

    [Fact]
    public void NonHttpTargetsAreRefused() =>
        Assert.Throws<ArgumentException>(() => TargetGuard.EnsureAllowed(new Uri("ftp://127.0.0.1/"), allowRemote: true));

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("10s", 10_000)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("3", 3000)]
    public void DurationsParse(string text, double expectedMs)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ten seconds")]
    [InlineData("-1s")]
    public void BadDurationsDoNotParse(string text) => Assert.False(DurationText.TryParse(text, out _));

    [Fact]
    public void DurationsFormatShortly()
    {
        Assert.Equal("250ms", DurationText.Format(TimeSpan.FromMilliseconds(250)));
        Assert.Equal("10s", DurationText.Format(TimeSpan.FromSeconds(10)));
        Assert.Equal("2m", DurationText.Format(TimeSpan.FromMinutes(2)));
    }

    [Fact]
    public void StatusLabelsUseCanonicalNames()
    {
        Assert.Equal("RESOURCE_EXHAUSTED", StatusLabels.ForGrpc(Grpc.Core.StatusCode.ResourceExhausted));
        Assert.Equal("DEADLINE_EXCEEDED", StatusLabels.ForGrpc(Grpc.Core.StatusCode.DeadlineExceeded));
        Assert.Equal("UNAUTHENTICATED", StatusLabels.ForGrpc(Grpc.Core.StatusCode.Unauthenticated));
        Assert.Equal("HTTP_429", StatusLabels.ForHttp(429));
        Assert.True(StatusLabels.IsSuccess("OK"));
        Assert.True(StatusLabels.IsSuccess(StatusLabels.ForHttp(200)));
        Assert.False(StatusLabels.IsSuccess("HTTP_504"));
        Assert.False(StatusLabels.IsSuccess(StatusLabels.ClientDropped));
    }

    [Fact]
    public void RunDefaultsAreASteadyGrpcRunOnLoopback()
    {
        var options = RunCommand.Bind([]);
        Assert.Equal(TransportKind.Grpc, options.Transport);
        Assert.Equal(new Uri("http://127.0.0.1:8081"), options.Target);
        Assert.Equal("criteo-deepfm", options.Model);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Duration);
        Assert.Equal(100, Assert.IsType<SteadySchedule>(options.Schedule).RatePerSecond);
        Assert.Equal("lognormal:165,1,1024,1", options.Candidates.Describe());
        Assert.Equal(TimeSpan.FromSeconds(2), options.Warmup); // the generator's cold start is not measured
        Assert.False(options.Quiet);
    }

    [Fact]
    public void RunBindsAStepScheduleAndTheRestOfTheCommandLine()
    {
        var options = RunCommand.Bind(
        [
            "--schedule", "step", "--rate", "200", "--peak-rate", "800", "--change-at", "10s", "--change-for", "20s",
            "--duration", "1m", "--max-requests", "5000", "--candidates", "fixed:32", "--context-features", "C1, C2",
            "--deadline-ms", "25", "--priority", "best-effort", "--out", "results/x", "--quiet", "--warmup", "2s",
            "--data", "d.txt", "--arrivals", "uniform", "--seed", "9", "--slo-ms", "12.5", "--max-in-flight", "64",
        ]);

        var step = Assert.IsType<StepSchedule>(options.Schedule);
        Assert.Equal((200, 800), (step.BaseRatePerSecond, step.HighRatePerSecond));
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)), (step.StepAt, step.StepDuration));
        Assert.Equal(TimeSpan.FromMinutes(1), options.Duration);
        Assert.Equal(5000, options.MaxRequests);
        Assert.Equal("fixed:32", options.Candidates.Describe());
        Assert.Equal(["C1", "C2"], options.ContextFeatures);
        Assert.Equal(TimeSpan.FromMilliseconds(25), options.Deadline);
        Assert.Equal(Priority.BestEffort, options.Priority);
        Assert.Equal("results/x", options.OutputDirectory);
        Assert.True(options.Quiet);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Warmup);
        Assert.Equal("d.txt", options.DataPath);
        Assert.Equal(ArrivalProcess.Uniform, options.Arrivals);
        Assert.Equal(9, options.Seed);
        Assert.Equal(12.5, options.SloMs);
        Assert.Equal(64, options.MaxInFlight);
    }

    [Fact]
    public void GivingRestSelectsTheRestTransport()
    {
        var options = RunCommand.Bind(["--rest", "http://127.0.0.1:9090"]);
        Assert.Equal(TransportKind.Rest, options.Transport);
        Assert.Equal(new Uri("http://127.0.0.1:9090"), options.Target);
        Assert.Equal(TransportKind.Grpc, RunCommand.Bind(["--rest", "http://127.0.0.1:9090", "--transport", "grpc"]).Transport);
    }

    [Fact]
    public void GrpcMethodFloorSendsTheRankBytesToTheTransportFloorPath()
    {
        Assert.Equal(GrpcMethod.Rank, RunCommand.Bind([]).GrpcMethod);
        Assert.Equal(GrpcMethod.Floor, RunCommand.Bind(["--grpc-method", "floor"]).GrpcMethod);
        Assert.Equal("/serving.ranking.v1.RankingService/Rank", GrpcRankTransport.PathOf(GrpcMethod.Rank));
        Assert.Equal("/serving.ranking.v1.RankingService/TransportFloor", GrpcRankTransport.PathOf(GrpcMethod.Floor));
    }

    [Fact]
    public void TheTransportFloorIsRefusedOverRest()
    {
        var options = RunCommand.Bind(["--rest", "http://127.0.0.1:9090", "--grpc-method", "floor"]);

        var ex = Assert.Throws<ArgumentException>(() => TransportFactory.Create(options));

        Assert.Contains("--grpc-method floor", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidationRefusesARemoteTarget()
    {
        var options = RunCommand.Bind(["--target", "http://10.1.2.3:8081"]);
        Assert.Throws<ArgumentException>(options.Validate);
        (options with { AllowRemote = true }).Validate();
    }

    [Theory]
    [InlineData("--schedule", "zigzag")]
    [InlineData("--duration", "soon")]
    [InlineData("--priority", "urgent")]
    public void BadValuesAreParseErrors(string option, string value) =>
        Assert.Throws<ArgumentException>(() => RunCommand.Bind([option, value]));

    [Fact]
    public void CandidateSpecErrorsAreFormatErrors() =>
        Assert.Throws<FormatException>(() => RunCommand.Bind(["--candidates", "gaussian:3"]));
}
