using Serving.LoadTest.Reporting;

namespace Serving.LoadTest.Goodput;

/// <summary>Runs one step at an offered rate and returns its summary.</summary>
internal delegate Task<RunSummary> GoodputStepRunner(double offeredRatePerSecond, int stepIndex, CancellationToken cancellationToken);

/// <summary>
/// The search itself, free of I/O: double the rate while steps pass (halve while they fail, if the
/// first one did), then bisect between the highest pass and lowest failure until they are within the
/// precision. Latency rises steeply near saturation, so the first failure bounds the answer well.
/// </summary>
internal sealed class GoodputSearch(GoodputOptions options, double sloMs)
{
    public static bool Passes(RunSummary summary, double sloMs, double maxErrorRate)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return !summary.Cancelled
            && summary.Succeeded > 0
            && summary.LatencyMs.P99 is { } p99 && p99 <= sloMs
            && summary.ErrorRate < maxErrorRate;
    }

    public async Task<GoodputResult> RunAsync(GoodputStepRunner runStep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runStep);
        var steps = new List<GoodputStep>();
        double? best = null;
        double? firstFail = null;
        var cancelled = false;

        async Task<bool?> TryRate(double rate, string phase)
        {
            if (steps.Count >= options.MaxSteps || cancellationToken.IsCancellationRequested)
            {
                return null;
            }

            var index = steps.Count;
            var summary = await runStep(rate, index, cancellationToken).ConfigureAwait(false);
            if (summary.Cancelled)
            {
                cancelled = true;
                return null;
            }

            var passed = Passes(summary, sloMs, options.MaxErrorRate);
            steps.Add(new GoodputStep(index, phase, rate, summary.AchievedRate, summary.RowsPerSecond, summary.LatencyMs.P99, summary.ErrorRate, passed, summary.SendLagMs.P99));
            if (passed)
            {
                best = best is { } b ? Math.Max(b, rate) : rate;
            }
            else
            {
                firstFail = firstFail is { } f ? Math.Min(f, rate) : rate;
            }

            return passed;
        }

        // Explore upwards from the start rate.
        var rate = options.StartRatePerSecond;
        while (true)
        {
            var passed = await TryRate(rate, "explore").ConfigureAwait(false);
            if (passed is not true || rate >= options.MaxRatePerSecond)
            {
                break;
            }

            rate = Math.Min(rate * 2, options.MaxRatePerSecond);
        }

        // The start rate already failed: halve until a rate passes.
        if (best is null && firstFail is not null)
        {
            rate = firstFail.Value / 2;
            while (rate >= options.MinRatePerSecond)
            {
                var passed = await TryRate(rate, "descend").ConfigureAwait(false);
                if (passed is not false)
                {
                    break;
                }

                rate /= 2;
            }
        }

        // Bisect between the highest pass and the lowest failure.
        while (best is { } lo && firstFail is { } hi && (hi - lo) / lo > options.Precision)
        {
            if (await TryRate(Math.Round((lo + hi) / 2, 3), "bisect").ConfigureAwait(false) is null)
            {
                break;
            }
        }

        var bestStep = best is { } goodput ? steps.Last(s => s.Passed && s.OfferedRate == goodput) : null;
        return new GoodputResult
        {
            SloMs = sloMs,
            MaxErrorRate = options.MaxErrorRate,
            StepDurationSeconds = options.StepDuration.TotalSeconds,
            MinRequestsPerStep = options.MinRequestsPerStep,
            GoodputRate = best,
            AchievedRate = bestStep?.AchievedRate,
            RowsPerSecond = bestStep?.RowsPerSecond,
            P99Ms = bestStep?.P99Ms,
            SendLagP99Ms = bestStep?.SendLagP99Ms,
            FirstFailingRate = firstFail,
            HitMaxRate = best is { } g && g >= options.MaxRatePerSecond,
            Cancelled = cancelled || cancellationToken.IsCancellationRequested,
            Steps = steps,
        };
    }
}
