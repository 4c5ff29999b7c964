using System.CommandLine;
using Serving.Contracts.Ranking.V1;
using Serving.LoadTest.Arrivals;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Commands;

/// <summary>The options shared by <c>run</c> and <c>max-goodput</c>: target, workload, limits, outputs.</summary>
internal sealed class CommonOptions
{
    public CommonOptions(TimeSpan warmupDefault)
    {
        Warmup = OptionParsers.Duration("--warmup", "Unrecorded traffic at the starting rate before measuring", warmupDefault);
    }

    public Option<Uri> Target { get; } = OptionParsers.Url("--target", "gRPC endpoint of the server", "http://127.0.0.1:8081");

    public Option<Uri> Rest { get; } = OptionParsers.Url("--rest", "REST endpoint of the server; giving it selects --transport rest", "http://127.0.0.1:8080");

    public Option<TransportKind> Transport { get; } = new("--transport")
    {
        Description = "grpc or rest; when omitted, giving --rest selects rest",
        DefaultValueFactory = _ => TransportKind.Grpc,
    };

    public Option<GrpcMethod> GrpcMethod { get; } = new("--grpc-method")
    {
        Description = "rank (default) or floor: the benchmark-only transport floor (same request bytes, zero scores back, nothing parsed or scored; the server needs Serving:Benchmark:TransportFloor=true)",
        DefaultValueFactory = _ => Serving.LoadTest.Transport.GrpcMethod.Rank,
    };

    public Option<bool> AllowRemote { get; } = new("--allow-remote")
    {
        Description = "Allow a target that is not a loopback address (refused by default)",
    };

    public Option<string> Model { get; } = new("--model")
    {
        Description = "Model name (models/<name>/)",
        DefaultValueFactory = _ => "criteo-deepfm",
    };

    public Option<string?> ModelVersion { get; } = new("--model-version")
    {
        Description = "Model version to request; default: the server's default version",
    };

    public Option<string?> ModelConfig { get; } = new("--model-config")
    {
        Description = "The model's config.json (default models/<model>/config.json when it exists)",
        HelpName = "path",
    };

    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Replay features from a Criteo .txt (tab-separated) or header CSV (Avazu) file, rows cycled; default: synthesise from the model config",
        HelpName = "path",
    };

    public Option<DataFormat> DataFormat { get; } = new("--data-format")
    {
        Description = "auto (by extension: .csv = csv), criteo or csv",
        DefaultValueFactory = _ => Requests.DataFormat.Auto,
    };

    public Option<int?> DataRows { get; } = new("--data-rows")
    {
        Description = "Read at most this many rows of --data (default all)",
    };

    public Option<int> SyntheticRows { get; } = new("--synthetic-rows")
    {
        Description = "Rows to synthesise when no --data is given",
        DefaultValueFactory = _ => 4096,
    };

    public Option<string> Candidates { get; } = new("--candidates")
    {
        Description = "Candidates per request: lognormal[:MEAN[,SIGMA[,MAX[,MIN]]]] or fixed:N",
        HelpName = "distribution",
        DefaultValueFactory = _ => "lognormal:165,1.0,1024,1",
    };

    public Option<string?> ContextFeatures { get; } = new("--context-features")
    {
        Description = "Comma-separated features sent once per request as context (e.g. C1,C2)",
        HelpName = "names",
    };

    public Option<int> PoolSize { get; } = new("--pool-size")
    {
        Description = "Requests pre-built before the run and sent round-robin",
        DefaultValueFactory = _ => 1024,
    };

    public Option<ArrivalProcess> Arrivals { get; } = new("--arrivals")
    {
        Description = "poisson (default) or uniform spacing",
        DefaultValueFactory = _ => ArrivalProcess.Poisson,
    };

    public Option<long> MaxRequests { get; } = new("--max-requests")
    {
        Description = "Stop after this many arrivals even if the duration is not over",
        DefaultValueFactory = _ => 1_000_000,
    };

    public Option<int> MaxInFlight { get; } = MaxInFlightOption();

    public Option<int?> DeadlineMs { get; } = new("--deadline-ms")
    {
        Description = "Per-call client deadline in ms (gRPC deadline; REST client timeout); default none",
    };

    public Option<uint> BudgetMs { get; } = new("--budget-ms")
    {
        Description = "The request's budget_ms field; 0 = the model's SLO (default 0)",
    };

    public Option<string> Priority { get; } = CreatePriority();

    public DurationOption DrainTimeout { get; } = OptionParsers.Duration("--drain-timeout", "Wait for in-flight responses after the last send, then cancel them", TimeSpan.FromSeconds(10));

    public DurationOption Warmup { get; }

    public Option<int> Seed { get; } = SeedOption("Seeds arrivals, request sizes and synthetic rows");

    public Option<double?> SloMs { get; } = new("--slo-ms")
    {
        Description = "p99 latency objective in ms (default: the model config's sloP99Ms)",
    };

    public Option<string?> Out { get; } = new("--out")
    {
        Description = "Folder for the JSON reports and PNG plots",
        HelpName = "dir",
    };

    public Option<bool> Quiet { get; } = new("--quiet")
    {
        Description = "No progress line on stderr",
    };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        OptionParsers.AddAll(
            command,
            Target, Rest, Transport, GrpcMethod, AllowRemote, Model, ModelVersion, ModelConfig, Data, DataFormat, DataRows,
            SyntheticRows, Candidates, ContextFeatures, PoolSize, Arrivals, MaxRequests, MaxInFlight, DeadlineMs,
            BudgetMs, Priority, DrainTimeout.Option, Warmup.Option, Seed, SloMs, Out, Quiet);
    }

    /// <summary>The options as a <see cref="LoadOptions"/> with the default steady schedule; the caller sets the schedule.</summary>
    public LoadOptions Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var transport = OptionParsers.WasGiven(parseResult, Transport)
            ? parseResult.GetValue(Transport)
            : OptionParsers.WasGiven(parseResult, Rest) ? TransportKind.Rest : TransportKind.Grpc;
        var deadlineMs = parseResult.GetValue(DeadlineMs);
        return new LoadOptions
        {
            Transport = transport,
            GrpcTarget = parseResult.GetValue(Target)!,
            GrpcMethod = parseResult.GetValue(GrpcMethod),
            RestTarget = parseResult.GetValue(Rest)!,
            AllowRemote = parseResult.GetValue(AllowRemote),
            Model = parseResult.GetValue(Model)!,
            ModelVersion = parseResult.GetValue(ModelVersion),
            ModelConfigPath = parseResult.GetValue(ModelConfig),
            DataPath = parseResult.GetValue(Data),
            DataFormat = parseResult.GetValue(DataFormat),
            DataRows = parseResult.GetValue(DataRows) ?? int.MaxValue,
            SyntheticRows = parseResult.GetValue(SyntheticRows),
            Candidates = CandidateCountDistribution.Parse(parseResult.GetValue(Candidates)!),
            ContextFeatures = SplitList(parseResult.GetValue(ContextFeatures)),
            PoolSize = parseResult.GetValue(PoolSize),
            Arrivals = parseResult.GetValue(Arrivals),
            MaxRequests = parseResult.GetValue(MaxRequests),
            MaxInFlight = parseResult.GetValue(MaxInFlight),
            Deadline = deadlineMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            BudgetMs = parseResult.GetValue(BudgetMs),
            Priority = parseResult.GetValue(Priority) == "best-effort" ? Contracts.Ranking.V1.Priority.BestEffort : Contracts.Ranking.V1.Priority.Normal,
            DrainTimeout = DrainTimeout.Get(parseResult),
            Warmup = Warmup.Get(parseResult),
            Seed = parseResult.GetValue(Seed),
            SloMs = parseResult.GetValue(SloMs),
            OutputDirectory = parseResult.GetValue(Out),
            Quiet = parseResult.GetValue(Quiet),
        };
    }

    /// <summary>The in-flight cap, as the benchmarks' probe takes it too.</summary>
    internal static Option<int> MaxInFlightOption() => new("--max-in-flight")
    {
        Description = "Outstanding requests allowed; arrivals beyond it are dropped and counted as CLIENT_DROPPED",
        DefaultValueFactory = _ => 1000,
    };

    internal static Option<int> SeedOption(string description) => new("--seed")
    {
        Description = description,
        DefaultValueFactory = _ => 1,
    };

    private static Option<string> CreatePriority()
    {
        var option = new Option<string>("--priority")
        {
            Description = "normal (default) or best-effort (shed first under overload)",
            DefaultValueFactory = _ => "normal",
        };
        option.AcceptOnlyFromAmong("normal", "best-effort");
        return option;
    }

    private static string[] SplitList(string? text) =>
        string.IsNullOrWhiteSpace(text)
            ? []
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
