namespace Serving.LoadTest.Goodput;

/// <summary>
/// Settings of a goodput-at-SLO search: the highest offered rate whose p99 stays within the SLO with
/// fewer than 0.1% errors. Every step is a short steady run built from <see cref="Load"/>.
/// </summary>
public sealed record GoodputOptions
{
    /// <summary>Target, workload and limits of every step; its schedule and duration are replaced per step.</summary>
    public LoadOptions Load { get; init; } = new();

    /// <summary>The p99 objective in milliseconds; null takes the model config's <c>sloP99Ms</c>, else 10.</summary>
    public double? SloMs { get; init; }

    /// <summary>A step passes only with an error rate strictly below this (0.1% by default).</summary>
    public double MaxErrorRate { get; init; } = 0.001;

    /// <summary>First offered rate tried; doubled while steps pass.</summary>
    public double StartRatePerSecond { get; init; } = 50;

    /// <summary>The search never offers more than this.</summary>
    public double MaxRatePerSecond { get; init; } = 100_000;

    /// <summary>When even the start rate fails, the search halves down to this rate before giving up.</summary>
    public double MinRatePerSecond { get; init; } = 1;

    public TimeSpan StepDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A step lasts long enough to offer this many requests, up to <see cref="MaxStepDuration"/>
    /// (<see cref="StepDurationAt"/>): at low rates a short step's p99 is the second-worst of a few
    /// hundred calls, and one stall fails it. 0: every step lasts <see cref="StepDuration"/>.
    /// </summary>
    public int MinRequestsPerStep { get; init; }

    /// <summary>No step is lengthened beyond this for <see cref="MinRequestsPerStep"/> (a search that descends to 1 req/s must still end).</summary>
    public TimeSpan MaxStepDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The binary search stops when (fail − pass) / pass is below this.</summary>
    public double Precision { get; init; } = 0.05;

    public int MaxSteps { get; init; } = 20;

    /// <summary>Idle time between steps so the server's queues empty.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Where goodput.json, goodput.png and per-step reports go; null writes nothing.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>How long a step at <paramref name="ratePerSecond"/> runs: <see cref="StepDuration"/>, or longer (up to <see cref="MaxStepDuration"/>) to reach <see cref="MinRequestsPerStep"/>.</summary>
    public TimeSpan StepDurationAt(double ratePerSecond)
    {
        var forCount = TimeSpan.FromSeconds(Math.Ceiling(MinRequestsPerStep / ratePerSecond));
        forCount = forCount < MaxStepDuration ? forCount : MaxStepDuration;
        return forCount > StepDuration ? forCount : StepDuration;
    }

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Load);
        Require(SloMs is null || SloMs > 0, "The SLO must be positive.");
        Require(MaxErrorRate > 0 && MaxErrorRate <= 1, "MaxErrorRate must be in (0, 1].");
        Require(MinRatePerSecond > 0, "MinRatePerSecond must be positive.");
        Require(StartRatePerSecond >= MinRatePerSecond, "StartRatePerSecond must be at least MinRatePerSecond.");
        Require(MaxRatePerSecond >= StartRatePerSecond, "MaxRatePerSecond must be at least StartRatePerSecond.");
        Require(StepDuration > TimeSpan.Zero, "StepDuration must be positive.");
        Require(MinRequestsPerStep >= 0, "MinRequestsPerStep must not be negative.");
        Require(MaxStepDuration >= StepDuration, "MaxStepDuration must be at least StepDuration.");
        Require(Precision > 0, "Precision must be positive.");
        Require(MaxSteps >= 1, "MaxSteps must be at least 1.");
        Require(Cooldown >= TimeSpan.Zero, "Cooldown must not be negative.");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
