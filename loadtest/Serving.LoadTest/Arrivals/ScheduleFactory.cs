namespace Serving.LoadTest.Arrivals;

/// <summary>The knobs a person gives for a schedule; unset ones get defaults relative to the run's duration.</summary>
/// <param name="Kind">steady, step, ramp, spike or diurnal.</param>
/// <param name="RatePerSecond">Steady rate; the base rate (step, spike), start rate (ramp) or trough (diurnal).</param>
/// <param name="PeakRatePerSecond">High rate (step), end rate (ramp), spike rate (spike), crest (diurnal). Default: twice the rate.</param>
/// <param name="ChangeAt">When the step, ramp or spike starts. Default: a third of the duration (0 for ramp).</param>
/// <param name="ChangeFor">How long the step holds, the ramp climbs or the spike decays. Default: a third of the duration (step), the rest of the run (ramp), 2 s (spike).</param>
/// <param name="Period">Diurnal period. Default: the duration (one full day).</param>
public sealed record ScheduleSpec(
    string Kind,
    double RatePerSecond,
    double? PeakRatePerSecond = null,
    TimeSpan? ChangeAt = null,
    TimeSpan? ChangeFor = null,
    TimeSpan? Period = null);

/// <summary>Builds a <see cref="RateSchedule"/> from a <see cref="ScheduleSpec"/>.</summary>
public static class ScheduleFactory
{
    /// <summary>The schedule kinds understood by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["steady", "step", "ramp", "spike", "diurnal"];

    public static RateSchedule Create(ScheduleSpec spec, TimeSpan runDuration)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var rate = spec.RatePerSecond;
        var peak = spec.PeakRatePerSecond ?? rate * 2;
        var third = runDuration / 3;
        return spec.Kind.ToUpperInvariant() switch
        {
            "STEADY" => new SteadySchedule(rate),
            "STEP" => new StepSchedule(rate, peak, spec.ChangeAt ?? third, spec.ChangeFor ?? NonZero(third)),
            "RAMP" => CreateRamp(spec, rate, peak, runDuration),
            "SPIKE" => new SpikeSchedule(rate, peak, spec.ChangeAt ?? third, spec.ChangeFor ?? TimeSpan.FromSeconds(2)),
            "DIURNAL" => new DiurnalSchedule(rate, peak, spec.Period ?? NonZero(runDuration)),
            _ => throw new ArgumentException(
                $"Unknown schedule '{spec.Kind}'; use one of {string.Join(", ", Kinds)}.", nameof(spec)),
        };
    }

    private static RampSchedule CreateRamp(ScheduleSpec spec, double rate, double peak, TimeSpan runDuration)
    {
        var at = spec.ChangeAt ?? TimeSpan.Zero;
        var over = spec.ChangeFor ?? NonZero(runDuration - at);
        return new RampSchedule(rate, peak, at, over);
    }

    private static TimeSpan NonZero(TimeSpan value) => value > TimeSpan.Zero ? value : TimeSpan.FromSeconds(1);
}
