using Serving.LoadTest.Arrivals;

namespace Serving.LoadTest.Tests;

public sealed class RateScheduleTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void StepIsHighOnlyInsideItsWindow()
    {
        var step = new StepSchedule(100, 500, S(10), S(5));
        Assert.Equal(100, step.RateAt(S(9.999)));
        Assert.Equal(500, step.RateAt(S(10)));
        Assert.Equal(500, step.RateAt(S(14.999)));
        Assert.Equal(100, step.RateAt(S(15)));
        Assert.Equal(500, step.PeakRatePerSecond);
    }

    [Fact]
    public void RampHoldsClimbsAndHolds()
    {
        var ramp = new RampSchedule(100, 300, S(10), S(20));
        Assert.Equal(100, ramp.RateAt(S(5)));
        Assert.Equal(200, ramp.RateAt(S(20)), 9);
        Assert.Equal(300, ramp.RateAt(S(30)));
        Assert.Equal(300, ramp.RateAt(S(100)));
    }

    [Fact]
    public void RampDownwardsPeaksAtItsStart()
    {
        var ramp = new RampSchedule(800, 200, TimeSpan.Zero, S(10));
        Assert.Equal(800, ramp.PeakRatePerSecond);
        Assert.Equal(500, ramp.RateAt(S(5)), 9);
    }

    [Fact]
    public void SpikeJumpsAtOnceAndDecaysLinearly()
    {
        var spike = new SpikeSchedule(100, 1100, S(10), S(4));
        Assert.Equal(100, spike.RateAt(S(9.999)));
        Assert.Equal(1100, spike.RateAt(S(10)));
        Assert.Equal(600, spike.RateAt(S(12)), 9);
        Assert.Equal(100, spike.RateAt(S(14)));
    }

    [Fact]
    public void DiurnalGoesFromTroughToCrestAndBack()
    {
        var diurnal = new DiurnalSchedule(100, 500, S(60));
        Assert.Equal(100, diurnal.RateAt(TimeSpan.Zero), 9);
        Assert.Equal(300, diurnal.RateAt(S(15)), 9);
        Assert.Equal(500, diurnal.RateAt(S(30)), 9);
        Assert.Equal(100, diurnal.RateAt(S(60)), 9);
    }

    [Fact]
    public void FactoryAppliesDefaultsRelativeToTheDuration()
    {
        var step = Assert.IsType<StepSchedule>(ScheduleFactory.Create(new ScheduleSpec("step", 100), S(30)));
        Assert.Equal(200, step.HighRatePerSecond);
        Assert.Equal(S(10), step.StepAt);
        Assert.Equal(S(10), step.StepDuration);

        var ramp = Assert.IsType<RampSchedule>(ScheduleFactory.Create(new ScheduleSpec("ramp", 100, 400), S(30)));
        Assert.Equal(TimeSpan.Zero, ramp.RampAt);
        Assert.Equal(S(30), ramp.RampDuration);

        var spike = Assert.IsType<SpikeSchedule>(ScheduleFactory.Create(new ScheduleSpec("spike", 100, 1000, ChangeAt: S(5)), S(30)));
        Assert.Equal(S(5), spike.SpikeAt);
        Assert.Equal(S(2), spike.DecayDuration);

        var diurnal = Assert.IsType<DiurnalSchedule>(ScheduleFactory.Create(new ScheduleSpec("diurnal", 10, 90), S(120)));
        Assert.Equal(S(120), diurnal.Period);
    }

    [Fact]
    public void FactoryRefusesUnknownKindsAndNegativeRates()
    {
        Assert.Throws<ArgumentException>(() => ScheduleFactory.Create(new ScheduleSpec("sawtooth", 100), S(10)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SteadySchedule(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepSchedule(1, 2, S(1), TimeSpan.Zero));
    }

    [Fact]
    public void DescriptionsNameTheShapeAndItsParameters()
    {
        Assert.Equal("step base=200/s high=800/s at=10s for=20s", new StepSchedule(200, 800, S(10), S(20)).Describe());
        Assert.Equal("steady rate=12.5/s", new SteadySchedule(12.5).Describe());
    }
}
