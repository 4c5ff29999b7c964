using System.CommandLine;
using Serving.LoadTest.Reporting;

namespace Serving.LoadTest.Commands;

/// <summary><c>run</c>: one open-loop load test on a rate schedule.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var common = new CommonOptions(warmupDefault: TimeSpan.Zero);
        var schedule = new ScheduleOptions();
        var command = new Command("run", "Send open-loop load on a rate schedule (steady, step, ramp, spike, diurnal) and report latency from the intended send time");
        schedule.AddTo(command);
        common.AddTo(command);
        command.SetAction((parseResult, cancellationToken) => CommandErrors.GuardAsync(async () =>
        {
            var options = schedule.Apply(parseResult, common.Bind(parseResult));
            var summary = await LoadRunner.RunAsync(options, cancellationToken).ConfigureAwait(false);
            ConsoleReport.Print(Console.Out, summary);
            if (options.OutputDirectory is { } dir)
            {
                Console.Out.WriteLine($"reports written to {Path.GetFullPath(dir)}");
            }

            return summary.Cancelled ? CommandErrors.Cancelled : 0;
        }));
        return command;
    }

    /// <summary>Parses a <c>run</c> command line into options without running it (for tests).</summary>
    internal static LoadOptions Bind(string[] args)
    {
        var common = new CommonOptions(warmupDefault: TimeSpan.Zero);
        var schedule = new ScheduleOptions();
        var command = new Command("run");
        schedule.AddTo(command);
        common.AddTo(command);
        var parseResult = OptionParsers.ParseOrThrow(command, args);

        return schedule.Apply(parseResult, common.Bind(parseResult));
    }
}
