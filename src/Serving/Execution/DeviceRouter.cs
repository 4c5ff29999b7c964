using Polly;
using Polly.CircuitBreaker;
using Polly.Fallback;
using Polly.Simmy;
using Polly.Simmy.Fault;
using Polly.Simmy.Latency;
using Polly.Timeout;
using Serving.Batching;

namespace Serving.Execution;

/// <summary>
/// Picks the device for each batch: the GPU pool while its predicted completion fits the batch's
/// earliest deadline and its circuit is closed; the CPU pool when the GPU is absent, its circuit
/// is open, its queue would make the batch miss, or the batch is small enough that CPU is cheaper.
/// Each pool measures its own batches, so both predictions follow their device.
/// GPU batches run through a Polly pipeline (timeout, circuit breaker, optional chaos) whose
/// fallback re-runs a failed batch on CPU while its deadline allows, so callers see no error.
/// </summary>
public sealed class DeviceRouter : IBatchExecutor
{
    private readonly DevicePool _cpu;
    private readonly DevicePool _gpu;
    private readonly GpuPoolOptions _options;
    private readonly TimeProvider _time;
    private readonly IDeviceObserver _observer;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private readonly ResiliencePipeline<BatchExecution> _pipeline;

    public DeviceRouter(DevicePool cpu, DevicePool gpu, GpuPoolOptions options, TimeProvider time, IDeviceObserver? observer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _cpu = cpu;
        _gpu = gpu;
        _options = options;
        _time = time;
        _observer = observer ?? IDeviceObserver.None;
        _pipeline = BuildPipeline();
        _cpu.ReplicaIdle += RaiseIdle;
        _gpu.ReplicaIdle += RaiseIdle;
    }

    public string Device => "gpu+cpu";

    public CircuitState Circuit => _circuit.CircuitState;

    public int Replicas => _cpu.Replicas + (GpuUsable ? _gpu.Replicas : 0);

    public int FreeReplicas => Math.Max(0, _cpu.FreeReplicas) + (GpuUsable ? Math.Max(0, _gpu.FreeReplicas) : 0);

    public event Action? ReplicaIdle;

    private bool GpuUsable => _circuit.CircuitState is CircuitState.Closed or CircuitState.HalfOpen;

    /// <summary>The compute time on the device a batch of <paramref name="rows"/> goes to when the GPU is free.</summary>
    public TimeSpan PredictCompute(int rows) =>
        GpuUsable && !IsSmall(rows) ? _gpu.PredictCompute(rows) : _cpu.PredictCompute(rows);

    /// <summary>Both pools at once: the CPU's replicas, and the GPU's while its circuit lets batches through.</summary>
    public double RowsPerSecond(int batchRows) =>
        _cpu.RowsPerSecond(batchRows) + (GpuUsable ? _gpu.RowsPerSecond(batchRows) : 0);

    public Task<BatchExecution> ExecuteAsync(Batch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var (device, reason) = Choose(batch.Rows, batch.EarliestDeadline);
        if (device == _cpu)
        {
            if (reason is not null)
            {
                _observer.Fallback(reason);
            }

            return _cpu.ExecuteAsync(batch, cancellationToken);
        }

        return RunOnGpuAsync(batch, cancellationToken);
    }

    /// <summary>The device for a batch, and the fallback reason when the GPU was passed over.</summary>
    internal (DevicePool Device, string? Reason) Choose(int rows, DateTimeOffset deadline)
    {
        var cpuFree = _cpu.FreeReplicas > 0;
        if (cpuFree && IsSmall(rows))
        {
            return (_cpu, null);
        }

        if (!GpuUsable)
        {
            // Through the pipeline all the same: the breaker rejects at once (and the fallback runs the
            // batch on CPU) until the break has passed, then lets this batch through as the half-open probe.
            return (_gpu, null);
        }

        var now = _time.GetUtcNow();
        var gpuWait = _gpu.FreeReplicas > 0
            ? TimeSpan.Zero
            : (_gpu.QueuedBatches + 1) * _gpu.PredictCompute(rows) / Math.Max(1, _gpu.Replicas);
        if (now + gpuWait + _gpu.PredictCompute(rows) <= deadline || !cpuFree)
        {
            return (_gpu, null);
        }

        return (_cpu, FallbackReasons.GpuBusy);
    }

    private bool IsSmall(int rows) => _options.SmallBatchCpuRows > 0
        ? rows <= _options.SmallBatchCpuRows
        : _cpu.PredictCompute(rows) < _gpu.PredictCompute(rows);

    private async Task<BatchExecution> RunOnGpuAsync(Batch batch, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            context.Properties.Set(BatchKey, batch);
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) =>
                {
                    var batch = ctx.Properties.GetValue(BatchKey, default!);
                    return await state._gpu.ExecuteAsync(batch, ctx.CancellationToken).ConfigureAwait(false);
                },
                context,
                this).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline<BatchExecution> BuildPipeline()
    {
        var resilience = _options.Resilience;
        var builder = new ResiliencePipelineBuilder<BatchExecution> { TimeProvider = _time };

        // Outermost: any GPU failure (fault, timeout, open circuit) re-runs the batch on CPU while its deadline allows.
        builder.AddFallback(new FallbackStrategyOptions<BatchExecution>
        {
            ShouldHandle = new PredicateBuilder<BatchExecution>().Handle<Exception>(IsGpuFailure),
            FallbackAction = args => RunOnCpuAfterFailureAsync(args.Context, args.Outcome.Exception),
        });
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<BatchExecution>
        {
            FailureRatio = resilience.FailureRatio,
            MinimumThroughput = resilience.MinimumThroughput,
            SamplingDuration = resilience.SamplingDuration,
            BreakDuration = resilience.BreakDuration,
            StateProvider = _circuit,
            ShouldHandle = new PredicateBuilder<BatchExecution>().Handle<Exception>(IsGpuFailure),
            OnOpened = _ => Changed(CircuitState.Open),
            OnHalfOpened = _ => Changed(CircuitState.HalfOpen),
            OnClosed = _ => Changed(CircuitState.Closed),
        });
        builder.AddTimeout(new TimeoutStrategyOptions { TimeoutGenerator = GpuTryTimeout });

        // Chaos strategies run inside the timeout, so injected latency counts against it like a slow
        // GPU. They exist only when configured; their rates are read live, so a test can end an outage.
        var chaos = _options.Chaos;
        if (chaos.LatencyRate > 0)
        {
            builder.AddChaosLatency(new ChaosLatencyStrategyOptions
            {
                InjectionRateGenerator = _ => ValueTask.FromResult(chaos.LatencyRate),
                LatencyGenerator = _ => ValueTask.FromResult(chaos.Latency),
            });
        }

        if (chaos.FaultRate > 0)
        {
            builder.AddChaosFault(new ChaosFaultStrategyOptions
            {
                InjectionRateGenerator = _ => ValueTask.FromResult(chaos.FaultRate),
                FaultGenerator = _ => ValueTask.FromResult<Exception?>(new InjectedGpuFaultException()),
            });
        }

        return builder.Build();
    }

    /// <summary>
    /// How long a GPU try may take: the configured batch timeout, or less when the batch's budget is
    /// shorter, leaving the predicted CPU re-run (a quarter more, and a millisecond) before its
    /// earliest deadline (at least 1 ms, so a batch whose budget is gone ends at once and the
    /// fallback answers DEADLINE_EXCEEDED).
    /// </summary>
    private ValueTask<TimeSpan> GpuTryTimeout(TimeoutGeneratorArguments args)
    {
        var batch = args.Context.Properties.GetValue(BatchKey, default!);
        var cap = _options.Resilience.BatchTimeout;
        var rerun = _cpu.PredictCompute(batch.Rows);
        var budget = batch.EarliestDeadline == DateTimeOffset.MaxValue
            ? cap
            : batch.EarliestDeadline - _time.GetUtcNow() - (rerun + (rerun / 4) + RerunSlack);
        var timeout = budget < cap ? budget : cap;
        return ValueTask.FromResult(timeout > MinimumGpuTry ? timeout : MinimumGpuTry);
    }

    private static readonly TimeSpan MinimumGpuTry = TimeSpan.FromMilliseconds(1);

    /// <summary>Kept beyond the predicted CPU re-run (with a quarter more for its error), for the hand-over itself.</summary>
    private static readonly TimeSpan RerunSlack = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Every exception from the GPU path except a caller's cancellation; the timeout strategy turns
    /// its own cancellation into a <see cref="TimeoutRejectedException"/>, which counts.
    /// </summary>
    private static bool IsGpuFailure(Exception ex) => ex is not OperationCanceledException;

    private ValueTask Changed(CircuitState state)
    {
        _observer.CircuitChanged(state);
        RaiseIdle();
        return ValueTask.CompletedTask;
    }

    private async ValueTask<Outcome<BatchExecution>> RunOnCpuAfterFailureAsync(ResilienceContext context, Exception? error)
    {
        var batch = context.Properties.GetValue(BatchKey, default!);
        var reason = error switch
        {
            BrokenCircuitException => FallbackReasons.CircuitOpen,
            TimeoutRejectedException => FallbackReasons.Timeout,
            _ => FallbackReasons.Fault,
        };
        if (_time.GetUtcNow() + _cpu.PredictCompute(batch.Rows) > batch.EarliestDeadline)
        {
            return Outcome.FromException<BatchExecution>(new DeadlineExceededException($"the GPU batch failed ({reason}) and no budget is left to re-run it on CPU", error));
        }

        _observer.Fallback(reason);
        var execution = await _cpu.ExecuteAsync(batch).ConfigureAwait(false);
        return Outcome.FromResult(execution);
    }

    private void RaiseIdle() => ReplicaIdle?.Invoke();

    public async ValueTask DisposeAsync()
    {
        _cpu.ReplicaIdle -= RaiseIdle;
        _gpu.ReplicaIdle -= RaiseIdle;
        await _gpu.DisposeAsync().ConfigureAwait(false);
        await _cpu.DisposeAsync().ConfigureAwait(false);
    }

    private static readonly ResiliencePropertyKey<Batch> BatchKey = new("serving.batch");
}
