using System.CommandLine;
using System.Globalization;
using Serving.LoadTest.Commands;
using Serving.LoadTest.Reporting;
using Serving.LoadTest.Transport;

namespace Serving.Benchmarks;

/// <summary>
/// <c>probe</c>: an open-loop Poisson run (<see cref="ProbeRunner"/>) that records what the load
/// generator's summary does not split out, for scripts/benchmark.sh. Loopback targets only.
/// </summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var options = new CommandOptions();
        var command = new Command("probe", "Open-loop Poisson probe: latency per status from the intended send time, the server's timing, CPU and /metrics over the run");
        options.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.GuardAsync(async () =>
        {
            var probe = options.Bind(parseResult);
            var result = await ProbeRunner.RunAsync(probe, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            if (probe.OutputPath is { } path)
            {
                ReportJson.WriteFile(path, result);
            }

            Console.WriteLine(ProbeRunner.Describe(result));
            return 0;
        }));
        return command;
    }

    /// <summary>Parses a <c>probe</c> command line into options without running it (for tests).</summary>
    internal static ProbeOptions Bind(string[] args)
    {
        var options = new CommandOptions();
        var command = new Command("probe");
        options.AddTo(command);
        return options.Bind(OptionParsers.ParseOrThrow(command, args));
    }

    private sealed class CommandOptions
    {
        public Option<Uri> Target { get; } = LoopbackOnly(OptionParsers.Url("--target", "gRPC endpoint of the server (loopback only)", "http://127.0.0.1:8081"));

        public Option<double> Rate { get; } = Positive(new Option<double>("--rate")
        {
            Description = "Offered requests/s (Poisson arrivals)",
            DefaultValueFactory = _ => 100,
        });

        public DurationOption Duration { get; } = OptionParsers.Duration("--duration", "Length of the measured run (a bare number is seconds)", TimeSpan.FromSeconds(10));

        public DurationOption Warmup { get; } = OptionParsers.Duration("--warmup", "Unrecorded traffic at a quarter of the rate first; 0 for none (the 32 priming calls are always made)", TimeSpan.FromSeconds(1));

        public Option<string> Candidates { get; } = new("--candidates")
        {
            Description = "Candidates per request: fixed:N or lognormal:MEAN,SIGMA,MAX",
            HelpName = "distribution",
            DefaultValueFactory = _ => "lognormal:165,1.0,1024",
        };

        public Option<string?> Data { get; } = new("--data")
        {
            Description = "Replay features from a Criteo .txt; default: synthesise from the model spec",
            HelpName = "path",
        };

        public Option<string> Config { get; } = new("--config")
        {
            Description = "The model's config.json",
            HelpName = "path",
            DefaultValueFactory = _ => RepoPaths.DefaultModelConfig,
        };

        public Option<int> MaxInFlight { get; } = CommonOptions.MaxInFlightOption();

        public Option<int> Seed { get; } = CommonOptions.SeedOption("Seeds arrivals and request sizes");

        public Option<Uri?> Metrics { get; } = OptionParsers.OptionalUrl("--metrics", "The server's /metrics URL, scraped before and after the run");

        public Option<int?> ServerPid { get; } = new("--server-pid")
        {
            Description = "The server's process id, whose CPU time over the run (less its idle use) is recorded",
        };

        public Option<string?> Out { get; } = new("--out")
        {
            Description = "Write the result as JSON to this file",
            HelpName = "file",
        };

        public Option<string> Label { get; } = new("--label")
        {
            Description = "Names the run in the output",
            DefaultValueFactory = _ => "probe",
        };

        public Option<ProbeCall> Call { get; } = new("--call")
        {
            Description = "rank (default); floor: the server's transport floor (Serving:Benchmark:TransportFloor=true), the same Rank bytes with nothing parsed, batched or scored; list: ListModels",
            DefaultValueFactory = _ => ProbeCall.Rank,
        };

        public void AddTo(Command command)
        {
            OptionParsers.AddAll(command, Target, Rate, Duration.Option, Warmup.Option, Candidates, Data, Config, MaxInFlight, Seed, Metrics, ServerPid, Out, Label, Call);
        }

        public ProbeOptions Bind(ParseResult parseResult) => new()
        {
            Target = parseResult.GetValue(Target)!,
            RatePerSecond = parseResult.GetValue(Rate),
            Duration = Duration.Get(parseResult),
            Warmup = Warmup.Get(parseResult),
            Candidates = parseResult.GetValue(Candidates)!,
            DataPath = parseResult.GetValue(Data),
            ModelConfigPath = parseResult.GetValue(Config)!,
            MaxInFlight = parseResult.GetValue(MaxInFlight),
            Seed = parseResult.GetValue(Seed),
            MetricsUrl = parseResult.GetValue(Metrics),
            ServerPid = parseResult.GetValue(ServerPid),
            OutputPath = parseResult.GetValue(Out),
            Label = parseResult.GetValue(Label)!,
            Call = parseResult.GetValue(Call),
        };

        /// <summary>The URL parser, then the check: a validator reading the value would throw on an unparsable one.</summary>
        private static Option<Uri> LoopbackOnly(Option<Uri> option)
        {
            var parseUrl = option.CustomParser!;
            option.CustomParser = result =>
            {
                var target = parseUrl(result);
                if (target is not null && !TargetGuard.IsLoopback(target))
                {
                    result.AddError($"refusing non-loopback target {target}: the probe only loads this machine");
                }

                return target;
            };
            return option;
        }

        private static Option<double> Positive(Option<double> option)
        {
            option.CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value))
                {
                    return value;
                }

                result.AddError($"{option.Name} must be a positive number of requests/s, not '{text}'");
                return 0;
            };
            return option;
        }
    }
}
