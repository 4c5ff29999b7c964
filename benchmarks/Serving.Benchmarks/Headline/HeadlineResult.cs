namespace Serving.Benchmarks;

/// <summary>headline.json: every model's figures over the interleaved repetitions of one scripts/headline.sh run.</summary>
internal sealed record HeadlineResult
{
    /// <summary>The revision measured (revision.txt), e.g. <c>abc1234</c> or <c>abc1234 + uncommitted changes</c>.</summary>
    public string Revision { get; init; } = "";

    /// <summary>The repetition folders read, in order (rep-1, rep-2, ...).</summary>
    public IReadOnlyList<string> Repetitions { get; init; } = [];

    public IReadOnlyList<HeadlineModel> Models { get; init; } = [];
}

internal sealed record HeadlineModel(string Model, IReadOnlyList<HeadlineFigureResult> Figures);

/// <summary>One figure over the repetitions; <see cref="MedianMeetsGoal"/> is null when it has no goal or no value.</summary>
internal sealed record HeadlineFigureResult(
    string Key, string Title, string? Goal, double? Median, double? Min, double? Max, int Count, IReadOnlyList<double?> Values, bool? MedianMeetsGoal);
