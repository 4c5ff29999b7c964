using System.CommandLine;
using Serving.LoadTest.Arrivals;

namespace Serving.LoadTest.Commands;

/// <summary>The options of <c>run</c> that shape its arrivals: schedule kind, rates, times, duration.</summary>
internal sealed class ScheduleOptions
{
    public Option<string> Schedule { get; } = CreateSchedule();

    public Option<double> Rate { get; } = new("--rate")
    {
        Description = "Requests/s: the steady rate; base rate of step and spike, start of ramp, trough of diurnal",
        DefaultValueFactory = _ => 100,
    };

    public Option<double?> PeakRate { get; } = new("--peak-rate")
    {
        Description = "Requests/s: high rate of step, end of ramp, top of spike, crest of diurnal (default 2 x --rate)",
    };

    public Option<TimeSpan?> ChangeAt { get; } = OptionParsers.OptionalDuration("--change-at", "When the step, ramp or spike starts (default duration/3; ramp 0)");

    public Option<TimeSpan?> ChangeFor { get; } = OptionParsers.OptionalDuration("--change-for", "How long the step holds, the ramp climbs or the spike decays (default duration/3; ramp: rest of run; spike 2s)");

    public Option<TimeSpan?> Period { get; } = OptionParsers.OptionalDuration("--period", "Diurnal period (default: the duration)");

    public DurationOption Duration { get; } = OptionParsers.Duration("--duration", "Length of the measured run", TimeSpan.FromSeconds(30));

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        OptionParsers.AddAll(command, Schedule, Rate, PeakRate, ChangeAt, ChangeFor, Period, Duration.Option);
    }

    public LoadOptions Apply(ParseResult parseResult, LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        ArgumentNullException.ThrowIfNull(options);
        var duration = Duration.Get(parseResult);
        var spec = new ScheduleSpec(
            parseResult.GetValue(Schedule)!,
            parseResult.GetValue(Rate),
            parseResult.GetValue(PeakRate),
            parseResult.GetValue(ChangeAt),
            parseResult.GetValue(ChangeFor),
            parseResult.GetValue(Period));
        return options with { Schedule = ScheduleFactory.Create(spec, duration), Duration = duration };
    }

    private static Option<string> CreateSchedule()
    {
        var option = new Option<string>("--schedule")
        {
            Description = "Rate shape: steady, step, ramp, spike or diurnal",
            DefaultValueFactory = _ => "steady",
        };
        option.AcceptOnlyFromAmong([.. ScheduleFactory.Kinds]);
        return option;
    }
}
