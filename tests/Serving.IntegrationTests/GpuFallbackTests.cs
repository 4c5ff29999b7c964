using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.ML.OnnxRuntime;
using Polly.CircuitBreaker;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Execution;
using Serving.Features;

namespace Serving.IntegrationTests;

/// <summary>The router and its Polly pipeline over real sessions, with CPU sessions standing in for the GPU.</summary>
public sealed class GpuFallbackTests : IAsyncLifetime
{
    private const string Model = "criteo-deepfm";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly Serving.Models.ModelSpec _spec = Requests.Spec(Model);
    private readonly RecordingObserver _observer = new();
    private readonly GpuPoolOptions _options = new()
    {
        StandIn = true,
        SmallBatchCpuRows = 1,
        Resilience = new GpuResilienceOptions { MinimumThroughput = 4, FailureRatio = 0.5, BreakDuration = TimeSpan.FromSeconds(2), BatchTimeout = TimeSpan.FromSeconds(30) },
    };

    /// <summary>The tests drive the injected clock past GPU timeouts while real sessions run: no run timeout on that clock.</summary>
    private static readonly DevicePoolLimits Limits = new(TimeSpan.FromHours(1), TimeSpan.FromSeconds(5));

    private DevicePool _cpu = null!;
    private DevicePool _gpu = null!;
    private DeviceRouter? _router;

    public Task InitializeAsync()
    {
        var path = Path.Combine(RepositoryPaths.Models, Model, "1", "model.onnx");
        var factory = new ReplicaFactory(_spec, path, 256, TimeProvider.System);
        _cpu = new DevicePool("cpu", factory.Create("cpu", 1, () => CpuSessionFactory.Create(path, 1), new BatchCostModel()), CostOf(0.5), _time, NullLogger.Instance, limits: Limits);
        _gpu = new DevicePool("gpu", factory.Create("gpu", 1, () => CpuSessionFactory.Create(path, 1), new BatchCostModel()), CostOf(0.1), _time, NullLogger.Instance, limits: Limits);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_router is not null)
        {
            await _router.DisposeAsync();
        }
        else
        {
            await _gpu.DisposeAsync();
            await _cpu.DisposeAsync();
        }
    }

    [Fact]
    public async Task Faulting_gpu_batches_rerun_on_cpu_then_the_breaker_opens_and_closes_after_recovery()
    {
        _options.Chaos.FaultRate = 1.0;
        var router = NewRouter();

        // Every batch fails on the "GPU" and is re-run on CPU: correct scores, no error.
        for (var i = 0; i < 4; i++)
        {
            var (execution, scores, expected) = await Run(router, seed: i);
            Assert.Equal("cpu", execution.Device);
            AssertClose(expected, scores);
        }

        Assert.Equal(4, _observer.Fallbacks.Count(r => r == FallbackReasons.Fault));
        Assert.Equal(CircuitState.Open, router.Circuit);
        Assert.Equal(CircuitState.Open, _observer.States.Last());

        // Open circuit: the GPU is not tried at all.
        var (whileOpen, _, _) = await Run(router, seed: 10);
        Assert.Equal("cpu", whileOpen.Device);
        Assert.Equal(FallbackReasons.CircuitOpen, _observer.Fallbacks.Last());

        // The GPU recovers; after the break a half-open probe succeeds and closes the circuit.
        _options.Chaos.FaultRate = 0;
        _time.Advance(TimeSpan.FromSeconds(2.1));
        var (probe, probeScores, probeExpected) = await Run(router, seed: 11);
        Assert.Equal("gpu", probe.Device);
        AssertClose(probeExpected, probeScores);
        Assert.Equal(CircuitState.Closed, router.Circuit);
        Assert.Equal(CircuitState.Closed, _observer.States.Last());
    }

    [Fact]
    public async Task Slow_gpu_batches_time_out_and_move_to_cpu()
    {
        _options.Chaos.LatencyRate = 1.0;
        _options.Chaos.Latency = TimeSpan.FromSeconds(10);
        _options.Resilience.BatchTimeout = TimeSpan.FromMilliseconds(50);
        var router = NewRouter();
        using var rows = Rows(seed: 3, count: 64);
        var scores = new float[64];

        var pending = router.ExecuteAsync(new Batch([new RowSlice(rows, 0, 64, scores, DateTimeOffset.MaxValue)], _time.GetUtcNow()));

        // Past the batch timeout on the injected clock (armed before ExecuteAsync returned); the CPU
        // re-run then takes real time, with the clock left alone.
        _time.Advance(TimeSpan.FromMilliseconds(60));
        var execution = await pending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("cpu", execution.Device);
        Assert.Equal(FallbackReasons.Timeout, _observer.Fallbacks.Single());
        AssertClose(OnnxReference.Score(Model, Request(3, 64)), scores);
    }

    [Fact]
    public async Task A_slow_gpu_batch_gives_up_in_time_to_rerun_on_cpu_before_its_deadline()
    {
        // The batch timeout (1 s) is far longer than the batch's budget (40 ms): the GPU try must
        // end when only the CPU re-run's predicted time (0.1 + 32 x 0.5 = 16.1 ms, a quarter more,
        // and 1 ms: 21.1 ms) is left, at 18.9 ms, not at 1 s.
        _options.Chaos.LatencyRate = 1.0;
        _options.Chaos.Latency = TimeSpan.FromSeconds(10);
        _options.Resilience.BatchTimeout = TimeSpan.FromSeconds(1);
        var router = NewRouter();
        using var rows = Rows(seed: 4, count: 32);
        var scores = new float[32];
        var deadline = _time.GetUtcNow().AddMilliseconds(40);

        var pending = router.ExecuteAsync(new Batch([new RowSlice(rows, 0, 32, scores, deadline)], _time.GetUtcNow()));

        // 20 ms: past the GPU try's 18.9 ms, well before the 1 s batch timeout; the re-run then
        // takes real time, with the clock left alone.
        _time.Advance(TimeSpan.FromMilliseconds(20));
        var execution = await pending.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("cpu", execution.Device);
        Assert.Equal(FallbackReasons.Timeout, _observer.Fallbacks.Single());
        AssertClose(OnnxReference.Score(Model, Request(4, 32)), scores);
    }

    [Fact]
    public void Routing_follows_predicted_completion_against_the_deadline_and_batch_size()
    {
        var router = NewRouter();
        var now = _time.GetUtcNow();

        // GPU cost for 64 rows ≈ 6.5 ms: a 1 s deadline fits, a 2 ms one does not while a CPU replica is free.
        Assert.Equal(("gpu", (string?)null), Describe(router.Choose(64, now.AddSeconds(1))));
        Assert.Equal(("cpu", FallbackReasons.GpuBusy), Describe(router.Choose(64, now.AddMilliseconds(2))));

        // A one-row batch is cheaper on CPU (SmallBatchCpuRows = 1): routed there without counting a fallback.
        Assert.Equal(("cpu", (string?)null), Describe(router.Choose(1, now.AddSeconds(1))));
    }

    private static (string Device, string? Reason) Describe((DevicePool Device, string? Reason) choice) => (choice.Device.Device, choice.Reason);

    private DeviceRouter NewRouter() =>
        _router = new DeviceRouter(_cpu, _gpu, _options, _time, _observer);

    private static BatchCostModel CostOf(double perRowMs)
    {
        var cost = new BatchCostModel();
        cost.Observe(1, TimeSpan.FromMilliseconds(0.1 + perRowMs));
        cost.Observe(1000, TimeSpan.FromMilliseconds(0.1 + (1000 * perRowMs)));
        return cost;
    }

    private async Task<(BatchExecution Execution, float[] Scores, float[] Expected)> Run(DeviceRouter router, int seed)
    {
        using var rows = Rows(seed, 32);
        var scores = new float[32];
        var execution = await router.ExecuteAsync(new Batch([new RowSlice(rows, 0, 32, scores, DateTimeOffset.MaxValue)], _time.GetUtcNow()));
        return (execution, scores, OnnxReference.Score(Model, Request(seed, 32)));
    }

    private FeatureRows Rows(int seed, int count) => FeatureAssembler.Assemble(_spec, Request(seed, count), 4096);

    private static RankRequest Request(int seed, int count) => Requests.Synthetic(Model, count, seed);

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f, $"score {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private sealed class RecordingObserver : IDeviceObserver
    {
        public List<string> Fallbacks { get; } = [];
        public List<CircuitState> States { get; } = [];

        public void Fallback(string reason)
        {
            lock (Fallbacks)
            {
                Fallbacks.Add(reason);
            }
        }

        public void CircuitChanged(CircuitState state)
        {
            lock (States)
            {
                States.Add(state);
            }
        }
    }
}
