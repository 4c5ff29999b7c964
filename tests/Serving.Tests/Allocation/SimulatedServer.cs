using Microsoft.Extensions.Time.Testing;
using Serving.Allocation;
using Serving.Batching;

namespace Serving.Tests.Allocation;

/// <summary>
/// A model on a simulated server: a linear cost model, a latency curve that turns the settings and
/// the offered load into p99 and busy time, and a <see cref="FakeTimeProvider"/> that advances one
/// control interval per step. The policy under test sees only what a latency source would report.
/// </summary>
internal sealed class SimulatedServer
{
    public const string Model = "sim";

    private readonly Random _noise;

    public SimulatedServer(AllocatorOptions options, int seed = 1)
    {
        Options = options;
        Policy = new AllocatorPolicy(options);
        _noise = new Random(seed);
    }

    public AllocatorOptions Options { get; }
    public AllocatorPolicy Policy { get; }
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public TimeSpan Slo { get; set; } = TimeSpan.FromMilliseconds(10);
    public BatchingMode Mode { get; set; } = BatchingMode.Adaptive;
    public int MaxBatchRows { get; set; } = 1024;
    public int TargetBatchRows { get; set; } = 64;
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.FromMilliseconds(1);
    public Dictionary<string, (int Active, int Loaded)> Replicas { get; } = new() { ["cpu"] = (2, 2) };

    /// <summary>Fixed cost of one batch.</summary>
    public TimeSpan FixedCost { get; set; } = TimeSpan.FromMilliseconds(0.5);

    /// <summary>Cost of each row of a batch.</summary>
    public TimeSpan PerRowCost { get; set; } = TimeSpan.FromMicroseconds(10);

    /// <summary>Offered load, rows per second.</summary>
    public double OfferedRows { get; set; } = 20_000;

    /// <summary>Rows per request.</summary>
    public double RowsPerRequest { get; set; } = 165;

    /// <summary>Relative noise on the measured p99 and rates (0.05 = ±5%).</summary>
    public double Noise { get; set; }

    /// <summary>Replaces the latency curve; by default <see cref="DefaultCurve"/>.</summary>
    public Func<SimulatedServer, (TimeSpan P99, double Busy)>? Curve { get; set; }

    /// <summary>Null: the source could not be read.</summary>
    public bool SourceDown { get; set; }

    /// <summary>The pod's CPU share (process CPU over its one core); null leaves the pod figures out.</summary>
    public double? PodCpu { get; set; }

    public List<ModelPlan> Plans { get; } = [];

    public int ActiveReplicas => Replicas.Values.Sum(r => r.Active);

    public TimeSpan Cost(int rows) => FixedCost + (PerRowCost * rows);

    /// <summary>Rows per second the active replicas compute at a batch size.</summary>
    public double Capacity(int rows) => ActiveReplicas * rows / Cost(rows).TotalSeconds;

    /// <summary>
    /// An M/D/c-like curve: a row waits for a batch in progress, for the queue (which explodes as
    /// utilisation nears 1), and half the max queue delay, then its own batch computes. Beyond
    /// capacity, p99 is five times the SLO and every replica is busy.
    /// </summary>
    public static (TimeSpan P99, double Busy) DefaultCurve(SimulatedServer s)
    {
        var rows = s.TargetBatchRows;
        var rho = s.OfferedRows / s.Capacity(rows);
        if (rho >= 1)
        {
            return (s.Slo * 5, s.ActiveReplicas);
        }

        var p99 = (s.Cost(rows) * (1 + (2 * rho / (1 - rho)))) + (s.MaxQueueDelay / 2);
        return (p99, rho * s.ActiveReplicas);
    }

    /// <summary>What the latency source reports for the settings in force over the last interval.</summary>
    public LatencySnapshot? Measure()
    {
        if (SourceDown)
        {
            return null;
        }

        var (p99, busy) = (Curve ?? DefaultCurve)(this);
        var jitter = Noise == 0 ? 1 : 1 + (Noise * ((2 * _noise.NextDouble()) - 1));
        var overloaded = busy >= ActiveReplicas;
        var answeredRows = overloaded ? s_answered(this) : OfferedRows;
        var requests = answeredRows / RowsPerRequest;
        var missRate = overloaded ? (OfferedRows - answeredRows) / RowsPerRequest : 0;
        var window = Options.Interval;
        return new LatencySnapshot(
            window,
            requests > 0 ? p99 * jitter : null,
            requests > 0 ? p99 * jitter / 3 : null,
            requests * window.TotalSeconds,
            requests,
            answeredRows * jitter,
            missRate,
            busy * jitter,
            FleetWide: false);

        static double s_answered(SimulatedServer s) => Math.Min(s.OfferedRows, s.Capacity(s.TargetBatchRows));
    }

    /// <summary>One control interval: the clock advances, the policy decides from the last interval's figures, its plan is applied.</summary>
    public ModelPlan Step()
    {
        Time.Advance(Options.Interval);
        var plan = Policy.Decide(new ModelObservation
        {
            Model = Model,
            Now = Time.GetUtcNow(),
            Slo = Slo,
            Mode = Mode,
            MaxBatchRows = MaxBatchRows,
            TargetBatchRows = TargetBatchRows,
            MaxQueueDelay = MaxQueueDelay,
            Devices = Replicas.Select(r => new DeviceReplicas(r.Key, r.Value.Active, r.Value.Loaded)).ToList(),
            PredictCompute = Cost,
            Measurement = Measure(),
            Pod = PodCpu is { } cpu ? new PodLoad(Options.Interval, cpu, OfferedRows, OfferedRows / RowsPerRequest * Options.Interval.TotalSeconds, Cores: 1) : null,
        });
        TargetBatchRows = Math.Clamp(plan.TargetBatchRows, 1, MaxBatchRows);
        MaxQueueDelay = plan.MaxQueueDelay;
        foreach (var (device, count) in plan.Replicas)
        {
            var (_, loaded) = Replicas[device];
            Replicas[device] = (Math.Clamp(count, 1, loaded), loaded);
        }

        Plans.Add(plan);
        return plan;
    }

    /// <summary>Runs <paramref name="steps"/> intervals; returns every decision made.</summary>
    public List<AllocatorDecision> Run(int steps)
    {
        var decisions = new List<AllocatorDecision>();
        for (var i = 0; i < steps; i++)
        {
            decisions.AddRange(Step().Decisions);
        }

        return decisions;
    }

    /// <summary>The p99 the curve gives for a batch size with everything else as it is now.</summary>
    public TimeSpan P99At(int rows)
    {
        var saved = TargetBatchRows;
        TargetBatchRows = rows;
        var p99 = (Curve ?? DefaultCurve)(this).P99;
        TargetBatchRows = saved;
        return p99;
    }
}
