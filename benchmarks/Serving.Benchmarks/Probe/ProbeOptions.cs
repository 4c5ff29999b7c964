namespace Serving.Benchmarks;

/// <summary>What to call for <c>probe --call</c>.</summary>
internal enum ProbeCall
{
    /// <summary>Rank with the pooled requests (the default).</summary>
    Rank,

    /// <summary>ListModels: gRPC over HTTP/2 with a tiny request and no model work.</summary>
    List,

    /// <summary>
    /// The server's transport floor (<c>Serving:Benchmark:TransportFloor=true</c>): the same pooled Rank
    /// bytes, answered with candidate_count zero scores, nothing parsed, batched or scored.
    /// </summary>
    Floor,
}

/// <summary>One probe run, as its command line asked for it.</summary>
internal sealed record ProbeOptions
{
    /// <summary>The server's gRPC endpoint; loopback only.</summary>
    public required Uri Target { get; init; }

    public required double RatePerSecond { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>Unrecorded open-loop traffic at a quarter of the rate (at least 10/s) before the run; none when zero.</summary>
    public required TimeSpan Warmup { get; init; }

    /// <summary><c>fixed:N</c> or <c>lognormal:MEAN,SIGMA,MAX</c> (<see cref="ProbeWorkload.ParseCandidates"/>).</summary>
    public required string Candidates { get; init; }

    /// <summary>A Criteo .txt to replay; null synthesises features from the model spec.</summary>
    public string? DataPath { get; init; }

    public required string ModelConfigPath { get; init; }

    public required int MaxInFlight { get; init; }

    public required int Seed { get; init; }

    /// <summary>The server's /metrics, scraped before and after the run; none when null.</summary>
    public Uri? MetricsUrl { get; init; }

    /// <summary>The server's process, whose CPU time is read from /proc; none when null.</summary>
    public int? ServerPid { get; init; }

    /// <summary>Where the JSON goes; nowhere when null.</summary>
    public string? OutputPath { get; init; }

    public required string Label { get; init; }

    public required ProbeCall Call { get; init; }
}
