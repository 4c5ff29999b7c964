namespace Serving.LoadTest.Arrivals;

/// <summary>How individual send times are drawn around the scheduled rate.</summary>
public enum ArrivalProcess
{
    /// <summary>Independent exponential gaps (a non-homogeneous Poisson process): how independent users arrive.</summary>
    Poisson,

    /// <summary>Evenly spaced at 1/rate: no burstiness, for debugging the server in isolation.</summary>
    Uniform,
}
