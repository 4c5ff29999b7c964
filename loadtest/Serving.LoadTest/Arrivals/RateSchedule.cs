using System.Globalization;

namespace Serving.LoadTest.Arrivals;

/// <summary>The offered request rate over time: the shape of one load test.</summary>
public abstract class RateSchedule
{
    private protected RateSchedule()
    {
    }

    /// <summary>Short name of the shape: steady, step, ramp, spike or diurnal.</summary>
    public abstract string Kind { get; }

    /// <summary>An upper bound of <see cref="RateAt"/> over all time, in requests per second.</summary>
    public abstract double PeakRatePerSecond { get; }

    /// <summary>The intended arrival rate at <paramref name="elapsed"/> since the start, in requests per second.</summary>
    public abstract double RateAt(TimeSpan elapsed);

    /// <summary>One line describing the shape and its parameters, echoed in reports.</summary>
    public abstract string Describe();

    public override string ToString() => Describe();

    private protected static double RequireRate(double ratePerSecond, string name)
    {
        if (double.IsNaN(ratePerSecond) || double.IsInfinity(ratePerSecond) || ratePerSecond < 0)
        {
            throw new ArgumentOutOfRangeException(name, ratePerSecond, "A rate must be a finite number of requests per second, 0 or more.");
        }

        return ratePerSecond;
    }

    private protected static TimeSpan RequireNonNegative(TimeSpan value, string name) =>
        value >= TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, "A time must not be negative.");

    private protected static TimeSpan RequirePositive(TimeSpan value, string name) =>
        value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, "A duration must be positive.");

    private protected static string Rate(double ratePerSecond) =>
        ratePerSecond.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>A constant rate for the whole run.</summary>
public sealed class SteadySchedule(double ratePerSecond) : RateSchedule
{
    public double RatePerSecond { get; } = RequireRate(ratePerSecond, nameof(ratePerSecond));

    public override string Kind => "steady";

    public override double PeakRatePerSecond => RatePerSecond;

    public override double RateAt(TimeSpan elapsed) => RatePerSecond;

    public override string Describe() => $"steady rate={Rate(RatePerSecond)}/s";
}

/// <summary>Base rate, then the high rate from <c>stepAt</c> for <c>stepDuration</c>, then the base rate again.</summary>
public sealed class StepSchedule(double baseRatePerSecond, double highRatePerSecond, TimeSpan stepAt, TimeSpan stepDuration) : RateSchedule
{
    public double BaseRatePerSecond { get; } = RequireRate(baseRatePerSecond, nameof(baseRatePerSecond));

    public double HighRatePerSecond { get; } = RequireRate(highRatePerSecond, nameof(highRatePerSecond));

    public TimeSpan StepAt { get; } = RequireNonNegative(stepAt, nameof(stepAt));

    public TimeSpan StepDuration { get; } = RequirePositive(stepDuration, nameof(stepDuration));

    public override string Kind => "step";

    public override double PeakRatePerSecond => Math.Max(BaseRatePerSecond, HighRatePerSecond);

    public override double RateAt(TimeSpan elapsed) =>
        elapsed >= StepAt && elapsed < StepAt + StepDuration ? HighRatePerSecond : BaseRatePerSecond;

    public override string Describe() =>
        $"step base={Rate(BaseRatePerSecond)}/s high={Rate(HighRatePerSecond)}/s at={DurationText.Format(StepAt)} for={DurationText.Format(StepDuration)}";
}

/// <summary>The start rate until <c>rampAt</c>, a straight line to the end rate over <c>rampDuration</c>, then the end rate.</summary>
public sealed class RampSchedule(double startRatePerSecond, double endRatePerSecond, TimeSpan rampAt, TimeSpan rampDuration) : RateSchedule
{
    public double StartRatePerSecond { get; } = RequireRate(startRatePerSecond, nameof(startRatePerSecond));

    public double EndRatePerSecond { get; } = RequireRate(endRatePerSecond, nameof(endRatePerSecond));

    public TimeSpan RampAt { get; } = RequireNonNegative(rampAt, nameof(rampAt));

    public TimeSpan RampDuration { get; } = RequirePositive(rampDuration, nameof(rampDuration));

    public override string Kind => "ramp";

    public override double PeakRatePerSecond => Math.Max(StartRatePerSecond, EndRatePerSecond);

    public override double RateAt(TimeSpan elapsed)
    {
        if (elapsed <= RampAt)
        {
            return StartRatePerSecond;
        }

        if (elapsed >= RampAt + RampDuration)
        {
            return EndRatePerSecond;
        }

        var fraction = (elapsed - RampAt) / RampDuration;
        return StartRatePerSecond + ((EndRatePerSecond - StartRatePerSecond) * fraction);
    }

    public override string Describe() =>
        $"ramp from={Rate(StartRatePerSecond)}/s to={Rate(EndRatePerSecond)}/s at={DurationText.Format(RampAt)} over={DurationText.Format(RampDuration)}";
}

/// <summary>A flash crowd: the base rate, an instant jump to the peak at <c>spikeAt</c>, a linear decay back to base over <c>decayDuration</c>.</summary>
public sealed class SpikeSchedule(double baseRatePerSecond, double peakRatePerSecond, TimeSpan spikeAt, TimeSpan decayDuration) : RateSchedule
{
    public double BaseRatePerSecond { get; } = RequireRate(baseRatePerSecond, nameof(baseRatePerSecond));

    public double SpikeRatePerSecond { get; } = RequireRate(peakRatePerSecond, nameof(peakRatePerSecond));

    public TimeSpan SpikeAt { get; } = RequireNonNegative(spikeAt, nameof(spikeAt));

    public TimeSpan DecayDuration { get; } = RequirePositive(decayDuration, nameof(decayDuration));

    public override string Kind => "spike";

    public override double PeakRatePerSecond => Math.Max(BaseRatePerSecond, SpikeRatePerSecond);

    public override double RateAt(TimeSpan elapsed)
    {
        if (elapsed < SpikeAt || elapsed >= SpikeAt + DecayDuration)
        {
            return BaseRatePerSecond;
        }

        var fraction = (elapsed - SpikeAt) / DecayDuration;
        return SpikeRatePerSecond - ((SpikeRatePerSecond - BaseRatePerSecond) * fraction);
    }

    public override string Describe() =>
        $"spike base={Rate(BaseRatePerSecond)}/s peak={Rate(SpikeRatePerSecond)}/s at={DurationText.Format(SpikeAt)} decay={DurationText.Format(DecayDuration)}";
}

/// <summary>A day compressed into <c>period</c>: a sinusoid from the trough rate at t=0 up to the peak at half the period and back.</summary>
public sealed class DiurnalSchedule(double troughRatePerSecond, double peakRatePerSecond, TimeSpan period) : RateSchedule
{
    public double TroughRatePerSecond { get; } = RequireRate(troughRatePerSecond, nameof(troughRatePerSecond));

    public double CrestRatePerSecond { get; } = RequireRate(peakRatePerSecond, nameof(peakRatePerSecond));

    public TimeSpan Period { get; } = RequirePositive(period, nameof(period));

    public override string Kind => "diurnal";

    public override double PeakRatePerSecond => Math.Max(TroughRatePerSecond, CrestRatePerSecond);

    public override double RateAt(TimeSpan elapsed)
    {
        var phase = 2 * Math.PI * (elapsed / Period);
        return TroughRatePerSecond + ((CrestRatePerSecond - TroughRatePerSecond) * (1 - Math.Cos(phase)) / 2);
    }

    public override string Describe() =>
        $"diurnal trough={Rate(TroughRatePerSecond)}/s peak={Rate(CrestRatePerSecond)}/s period={DurationText.Format(Period)}";
}
