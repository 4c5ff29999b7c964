using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Arrivals;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest;

/// <summary>Everything one load-test run needs: target, workload, arrival schedule, limits and outputs.</summary>
public sealed record LoadOptions
{
    /// <summary>gRPC (HTTP/2, <see cref="GrpcTarget"/>) or REST (JSON over HTTP/1.1, <see cref="RestTarget"/>).</summary>
    public TransportKind Transport { get; init; } = TransportKind.Grpc;

    public Uri GrpcTarget { get; init; } = new("http://127.0.0.1:8081");

    /// <summary>Rank, or the benchmark-only transport floor (the same bytes, no work); gRPC only.</summary>
    public GrpcMethod GrpcMethod { get; init; } = GrpcMethod.Rank;

    public Uri RestTarget { get; init; } = new("http://127.0.0.1:8080");

    /// <summary>Targets must be loopback addresses unless this is set.</summary>
    public bool AllowRemote { get; init; }

    public string Model { get; init; } = "criteo-deepfm";

    /// <summary>Model version to ask for; null or empty selects the default version.</summary>
    public string? ModelVersion { get; init; }

    /// <summary>The model's <c>config.json</c>; null means <c>models/&lt;Model&gt;/config.json</c> when it exists.</summary>
    public string? ModelConfigPath { get; init; }

    /// <summary>A Criteo <c>.txt</c> or header CSV (Avazu) file to replay; null synthesises rows from the model config.</summary>
    public string? DataPath { get; init; }

    public DataFormat DataFormat { get; init; } = DataFormat.Auto;

    /// <summary>Rows to read from <see cref="DataPath"/> (all by default).</summary>
    public int DataRows { get; init; } = int.MaxValue;

    /// <summary>Rows to synthesise when no data file is given.</summary>
    public int SyntheticRows { get; init; } = 4096;

    public CandidateCountDistribution Candidates { get; init; } = CandidateCountDistribution.Default;

    /// <summary>Features sent once per request in <c>context</c> instead of per candidate.</summary>
    public IReadOnlyList<string> ContextFeatures { get; init; } = [];

    /// <summary>Requests built before the run and sent round-robin.</summary>
    public int PoolSize { get; init; } = 1024;

    public RateSchedule Schedule { get; init; } = new SteadySchedule(100);

    public ArrivalProcess Arrivals { get; init; } = ArrivalProcess.Poisson;

    /// <summary>Sending stops at this time or at <see cref="MaxRequests"/>, whichever comes first.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public long MaxRequests { get; init; } = 1_000_000;

    /// <summary>Unrecorded traffic at the schedule's starting rate before the measured run (connections, JIT, server warm-up).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    /// <summary>Seeds the arrivals, the request sizes and the synthetic rows: same seed, same run.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Requests allowed in flight; an arrival beyond this is dropped and counted, never delayed.</summary>
    public int MaxInFlight { get; init; } = 1000;

    /// <summary>Per-call client deadline (gRPC deadline, REST client timeout); null for none.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>The request's <c>budget_ms</c> field; 0 means the model's SLO.</summary>
    public uint BudgetMs { get; init; }

    public Priority Priority { get; init; } = Priority.Normal;

    /// <summary>How long to wait for in-flight responses after the last send before cancelling them.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Latency objective (p99, ms) judged in the summary and drawn on the plot; null takes the model config's <c>sloP99Ms</c>.</summary>
    public double? SloMs { get; init; }

    /// <summary>Where summary.json, timeseries.json and the PNG plots go; null writes nothing.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Suppresses the once-a-second progress line and notes on stderr.</summary>
    public bool Quiet { get; init; }

    /// <summary>The URL of the selected transport.</summary>
    public Uri Target => Transport == TransportKind.Rest ? RestTarget : GrpcTarget;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Model), "The model name is required.");
        Require(Duration > TimeSpan.Zero, "Duration must be positive.");
        Require(MaxRequests >= 1, "MaxRequests must be at least 1.");
        Require(MaxInFlight >= 1, "MaxInFlight must be at least 1.");
        Require(PoolSize >= 1, "PoolSize must be at least 1.");
        Require(SyntheticRows >= 1, "SyntheticRows must be at least 1.");
        Require(DataRows >= 1, "DataRows must be at least 1.");
        Require(Warmup >= TimeSpan.Zero, "Warmup must not be negative.");
        Require(DrainTimeout >= TimeSpan.Zero, "DrainTimeout must not be negative.");
        Require(Deadline is null || Deadline > TimeSpan.Zero, "Deadline must be positive.");
        Require(SloMs is null || SloMs > 0, "SloMs must be positive.");
        Require(Schedule is not null && Schedule.PeakRatePerSecond > 0, "The schedule must offer a positive rate at some point.");
        Require(Candidates is not null, "A candidate distribution is required.");
        TargetGuard.EnsureAllowed(Target, AllowRemote);
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
