namespace Serving.Batching;

/// <summary>
/// How late requests finish compared with what admission predicted for them: a running estimate
/// of the 99.9th percentile of (caller resumed − predicted finish), which admission adds to its
/// predictions. Predictions miss what the cost model cannot see (the CPU taken by calls being read
/// and refused around the sessions, a thread pool slow to resume a caller); under overload on one
/// core that made about 1% of admitted calls finish past their deadline, and the answered ones'
/// p99 run past the SLO. Learning the lateness lets the same admission refuse those calls at once
/// instead. Not thread-safe (the batcher's lock).
/// </summary>
/// <remarks>
/// Stochastic quantile tracking: each observation moves the estimate up by 0.999 × <see cref="Step"/>
/// when it is above, down by 0.001 × <see cref="Step"/> when it is not, so it settles where 0.1% of
/// observations lie above. It rises within tens of late calls and decays over thousands of timely
/// ones. The 99th percentile was tried first: the accepted calls' p99 stayed at 10–12.5 ms against
/// a 10 ms SLO in a minute of 3x overload.
/// </remarks>
internal sealed class LatenessEstimator
{
    /// <summary>The percentile tracked.</summary>
    public const double Quantile = 0.999;

    /// <summary>How far one observation may move the estimate.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(0.1);

    /// <summary>Upper bound of the estimate, whatever is observed.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(1);

    /// <summary>The current estimate of the 99.9th-percentile lateness; never below zero.</summary>
    public TimeSpan Allowance { get; private set; }

    public void Observe(TimeSpan lateness)
    {
        var next = lateness > Allowance
            ? Allowance + (Step * Quantile)
            : Allowance - (Step * (1 - Quantile));
        Allowance = next < TimeSpan.Zero ? TimeSpan.Zero : next > Cap ? Cap : next;
    }
}
