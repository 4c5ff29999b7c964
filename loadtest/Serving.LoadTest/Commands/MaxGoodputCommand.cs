using System.CommandLine;
using Serving.LoadTest.Goodput;

namespace Serving.LoadTest.Commands;

/// <summary><c>max-goodput</c>: search for the highest offered rate whose p99 meets the SLO with &lt; 0.1% errors.</summary>
internal static class MaxGoodputCommand
{
    private sealed class SearchOptions
    {
        public Option<double> StartRate { get; } = new("--start-rate")
        {
            Description = "First offered rate, requests/s; doubled while steps pass",
            DefaultValueFactory = _ => 50,
        };

        public Option<double> MaxRate { get; } = new("--max-rate")
        {
            Description = "Never offer more than this, requests/s",
            DefaultValueFactory = _ => 100_000,
        };

        public Option<double> MinRate { get; } = new("--min-rate")
        {
            Description = "Lowest rate tried when the start rate already fails",
            DefaultValueFactory = _ => 1,
        };

        public DurationOption StepDuration { get; } = OptionParsers.Duration("--step-duration", "Length of each step", TimeSpan.FromSeconds(10));

        public Option<int> MinStepRequests { get; } = new("--min-step-requests")
        {
            Description = "Lengthen a step at a low rate until it offers this many requests (its p99 then rests on enough calls), up to 30 s; 0: every step lasts --step-duration",
            DefaultValueFactory = _ => 1000,
        };

        public Option<double> Precision { get; } = new("--precision")
        {
            Description = "Stop bisecting when (fail - pass) / pass is below this",
            DefaultValueFactory = _ => 0.05,
        };

        public Option<int> MaxSteps { get; } = new("--max-steps")
        {
            Description = "Upper bound on steps",
            DefaultValueFactory = _ => 20,
        };

        public DurationOption Cooldown { get; } = OptionParsers.Duration("--cooldown", "Idle time between steps", TimeSpan.FromSeconds(2));

        public Option<double> MaxErrorRate { get; } = new("--max-error-rate")
        {
            Description = "A step passes only with an error rate below this",
            DefaultValueFactory = _ => 0.001,
        };

        public void AddTo(Command command)
        {
            OptionParsers.AddAll(command, StartRate, MaxRate, MinRate, StepDuration.Option, MinStepRequests, Precision, MaxSteps, Cooldown.Option, MaxErrorRate);
        }

        public GoodputOptions Bind(ParseResult parseResult, LoadOptions load) => new()
        {
            Load = load,
            SloMs = load.SloMs,
            StartRatePerSecond = parseResult.GetValue(StartRate),
            MaxRatePerSecond = parseResult.GetValue(MaxRate),
            MinRatePerSecond = parseResult.GetValue(MinRate),
            StepDuration = StepDuration.Get(parseResult),
            MinRequestsPerStep = parseResult.GetValue(MinStepRequests),
            Precision = parseResult.GetValue(Precision),
            MaxSteps = parseResult.GetValue(MaxSteps),
            Cooldown = Cooldown.Get(parseResult),
            MaxErrorRate = parseResult.GetValue(MaxErrorRate),
            OutputDirectory = load.OutputDirectory,
        };
    }

    public static Command Create()
    {
        var common = new CommonOptions(warmupDefault: TimeSpan.FromSeconds(2));
        var search = new SearchOptions();
        var command = new Command("max-goodput", "Find the highest offered rate whose p99 stays within --slo-ms with < 0.1% errors (exponential, then binary search over short steady steps)");
        search.AddTo(command);
        common.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.GuardAsync(async () =>
        {
            var load = common.Bind(parseResult);
            var options = search.Bind(parseResult, load);
            var result = await MaxGoodputRunner.RunAsync(options, cancellationToken).ConfigureAwait(false);
            MaxGoodputRunner.Print(Console.Out, result);
            if (options.OutputDirectory is { } dir)
            {
                Console.Out.WriteLine($"reports written to {Path.GetFullPath(dir)}");
            }

            return result.Cancelled ? CommandErrors.Cancelled : 0;
        }));
        return command;
    }
}
