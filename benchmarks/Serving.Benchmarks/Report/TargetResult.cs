using static Serving.Benchmarks.ReportNumbers;

namespace Serving.Benchmarks;

/// <summary>One target of the project, what was measured and by how much it is met or missed.</summary>
internal sealed record TargetResult(
    string Name,
    double? Measured,
    double Goal,
    bool HigherIsBetter,
    string MeasuredText,
    string GoalText,
    bool Met,
    string Verdict)
{
    /// <summary>
    /// Judges <paramref name="measured"/> against <paramref name="goal"/>. A goal of 0 (lower is
    /// better) is met up to 0.5 <paramref name="unit"/>: a slope measured from two sizes is never exactly zero.
    /// </summary>
    public static TargetResult Judge(string name, double? measured, double goal, bool higherIsBetter, string unit, string? format = null)
    {
        string verdict;
        if (measured is not { } m)
        {
            verdict = "not measured";
        }
        else if (higherIsBetter)
        {
            verdict = m >= goal
                ? $"met (+{F((m / goal - 1) * 100, "0")}%)"
                : $"missed: {F(m / goal * 100, m / goal < 0.1 ? "0.0" : "0")}% of the goal";
        }
        else if (goal == 0)
        {
            verdict = m <= 0.5 ? "met" : $"missed by {F(m, "0.#")} {unit}";
        }
        else
        {
            verdict = m <= goal
                ? $"met ({F((1 - (m / goal)) * 100, "0")}% under)"
                : $"missed: {F(m / goal, "0.0#")}× the goal";
        }

        var digits = format ?? (unit == "×" ? "0.00" : unit == "B" ? "0.0" : "0.000");
        return new TargetResult(
            name,
            measured,
            goal,
            higherIsBetter,
            measured is null ? "–" : $"{F(measured, digits)} {unit}".Trim(),
            higherIsBetter ? $"≥ {F(goal, "0.0#")} {unit}" : goal == 0 ? $"0 {unit}" : $"≤ {F(goal, "0.###")} {unit}",
            measured is { } v && (higherIsBetter ? v >= goal : goal == 0 ? v <= 0.5 : v <= goal),
            verdict);
    }
}
