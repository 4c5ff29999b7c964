using System.CommandLine;
using Serving.LoadTest.Reporting;

namespace Serving.LoadTest.Commands;

/// <summary>The options of <c>run</c> that set pass/fail thresholds (<see cref="RunThresholds"/>).</summary>
internal sealed class ThresholdOptions
{
    public Option<double?> MaxP99Ms { get; } = new("--max-p99-ms")
    {
        Description = $"Fail the run (exit {RunThresholds.FailedExitCode}) when p99 latency from the intended send exceeds this many ms",
    };

    public Option<double?> MaxErrorRate { get; } = new("--max-error-rate")
    {
        Description = $"Fail the run (exit {RunThresholds.FailedExitCode}) when the share of calls not OK exceeds this fraction (0.001 = 0.1%)",
    };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        OptionParsers.AddAll(command, MaxP99Ms, MaxErrorRate);
    }

    public RunThresholds Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var p99 = parseResult.GetValue(MaxP99Ms);
        var errors = parseResult.GetValue(MaxErrorRate);
        if (p99 is <= 0 || (p99 is { } p && !double.IsFinite(p)))
        {
            throw new ArgumentException($"--max-p99-ms must be a positive number of ms, not {p99}");
        }

        if (errors is < 0 or > 1 || (errors is { } e && !double.IsFinite(e)))
        {
            throw new ArgumentException($"--max-error-rate must be a fraction from 0 to 1, not {errors}");
        }

        return new RunThresholds(p99, errors);
    }
}
