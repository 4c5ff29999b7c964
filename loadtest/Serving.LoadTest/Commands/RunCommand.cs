using System.CommandLine;
using Serving.LoadTest.Reporting;

namespace Serving.LoadTest.Commands;

/// <summary><c>run</c>: one open-loop load test on a rate schedule.</summary>
internal static class RunCommand
{
    /// <summary>
    /// Unrecorded traffic before the measured run, as <c>max-goodput</c> has: without it a run's first
    /// second measured the generator's own cold start (send lag up to ~180 ms, p99 300+ ms in that
    /// second and an SLO "missed" for the whole run).
    /// </summary>
    public static readonly TimeSpan DefaultWarmup = TimeSpan.FromSeconds(2);

    public static Command Create()
    {
        var options = new RunOptions();
        var command = options.AddTo(new Command("run", "Send open-loop load on a rate schedule (steady, step, ramp, spike, diurnal) and report latency from the intended send time"));
        command.SetAction((parseResult, cancellationToken) => CommandErrors.GuardAsync(async () =>
        {
            var load = options.Load(parseResult);
            var limits = options.Thresholds.Bind(parseResult);
            var summary = await LoadRunner.RunAsync(load, cancellationToken).ConfigureAwait(false);
            ConsoleReport.Print(Console.Out, summary);
            if (load.OutputDirectory is { } dir)
            {
                Console.Out.WriteLine($"reports written to {Path.GetFullPath(dir)}");
            }

            return ExitCode(summary, limits, Console.Out);
        }));
        return command;
    }

    /// <summary>130 for a cancelled run, <see cref="RunThresholds.FailedExitCode"/> when a threshold was missed (each is printed), else 0.</summary>
    internal static int ExitCode(RunSummary summary, RunThresholds thresholds, TextWriter writer)
    {
        var judged = thresholds.Judge(summary);
        foreach (var (_, line) in judged)
        {
            writer.WriteLine(line);
        }

        return summary.Cancelled ? CommandErrors.Cancelled
            : judged.Any(j => !j.Met) ? RunThresholds.FailedExitCode
            : 0;
    }

    /// <summary>Parses a <c>run</c> command line into its thresholds (for tests).</summary>
    internal static RunThresholds BindThresholds(string[] args)
    {
        var options = new RunOptions();
        return options.Thresholds.Bind(OptionParsers.ParseOrThrow(options.AddTo(new Command("run")), args));
    }

    /// <summary>Parses a <c>run</c> command line into options without running it (for tests).</summary>
    internal static LoadOptions Bind(string[] args)
    {
        var options = new RunOptions();
        return options.Load(OptionParsers.ParseOrThrow(options.AddTo(new Command("run")), args));
    }

    /// <summary>The option groups of <c>run</c>: the same for the command and for the parsing tests.</summary>
    private sealed class RunOptions
    {
        public CommonOptions Common { get; } = new(warmupDefault: DefaultWarmup);

        public ScheduleOptions Schedule { get; } = new();

        public ThresholdOptions Thresholds { get; } = new();

        public Command AddTo(Command command)
        {
            Schedule.AddTo(command);
            Common.AddTo(command);
            Thresholds.AddTo(command);
            return command;
        }

        public LoadOptions Load(ParseResult parseResult) => Schedule.Apply(parseResult, Common.Bind(parseResult));
    }
}
