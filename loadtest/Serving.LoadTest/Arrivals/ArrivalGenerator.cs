namespace Serving.LoadTest.Arrivals;

/// <summary>
/// Turns a rate schedule into intended send times. A pure function of its arguments: the same
/// (schedule, process, duration, count, seed) always gives the same times, so a run can be replayed
/// and the sequence tested without a clock.
/// </summary>
internal static class ArrivalGenerator
{
    /// <summary>Intended send times, as offsets from the start of the run, ascending, all before <paramref name="duration"/>, at most <paramref name="maxRequests"/>.</summary>
    public static IEnumerable<TimeSpan> IntendedSendTimes(
        RateSchedule schedule, ArrivalProcess process, TimeSpan duration, long maxRequests, int seed)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRequests);
        ArgumentOutOfRangeException.ThrowIfLessThan(duration, TimeSpan.Zero);

        return process switch
        {
            ArrivalProcess.Poisson => Poisson(schedule, duration, maxRequests, seed),
            ArrivalProcess.Uniform => Uniform(schedule, duration, maxRequests),
            _ => throw new ArgumentOutOfRangeException(nameof(process), process, "Unknown arrival process."),
        };
    }

    // Lewis–Shedler thinning: candidates from a homogeneous process at the peak rate, each kept with
    // probability rate(t)/peak. Exact for any bounded rate function, with no integration step.
    private static IEnumerable<TimeSpan> Poisson(RateSchedule schedule, TimeSpan duration, long maxRequests, int seed)
    {
        var peak = schedule.PeakRatePerSecond;
        if (peak <= 0 || maxRequests == 0)
        {
            yield break;
        }

        // Seeded System.Random keeps its legacy algorithm across .NET versions: sequences are stable.
#pragma warning disable CA5394 // Load shape, not security.
        var random = new Random(seed);
        var endSeconds = duration.TotalSeconds;
        var t = 0.0;
        long emitted = 0;
        while (emitted < maxRequests)
        {
            t += -Math.Log(1.0 - random.NextDouble()) / peak;
            if (t >= endSeconds)
            {
                yield break;
            }

            var at = TimeSpan.FromTicks((long)(t * TimeSpan.TicksPerSecond));
            var keep = random.NextDouble() * peak < schedule.RateAt(at);
#pragma warning restore CA5394
            if (keep)
            {
                emitted++;
                yield return at;
            }
        }
    }

    private static IEnumerable<TimeSpan> Uniform(RateSchedule schedule, TimeSpan duration, long maxRequests)
    {
        var idleStep = TimeSpan.FromMilliseconds(1);
        var t = TimeSpan.Zero;
        long emitted = 0;
        while (emitted < maxRequests && t < duration)
        {
            var rate = schedule.RateAt(t);
            if (rate <= 0)
            {
                t += idleStep;
                continue;
            }

            emitted++;
            yield return t;
            t += TimeSpan.FromTicks(Math.Max(1, (long)(TimeSpan.TicksPerSecond / rate)));
        }
    }
}
