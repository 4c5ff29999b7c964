using System.Globalization;
using System.Text;

namespace Serving.Benchmarks;

/// <summary>headline.md: per model, one row per figure: median, spread (min–max), each repetition's value, the goal.</summary>
internal static class HeadlineMarkdown
{
    public static string Write(HeadlineResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(c, $"Revision {result.Revision}; {result.Repetitions.Count} interleaved repetitions; median (min–max) over them, every ratio taken within a repetition.\n");
        var formats = HeadlineFigures.All.ToDictionary(f => f.Key, f => f.Format, StringComparer.Ordinal);
        foreach (var model in result.Models)
        {
            text.Append(c, $"\n### {model.Model}\n\n");
            text.Append("| figure | median | min–max | ");
            text.Append(string.Join(" | ", result.Repetitions));
            text.Append(" | goal |\n|---|---|---|");
            text.Append(string.Concat(result.Repetitions.Select(_ => "---|")));
            text.Append("---|\n");
            foreach (var figure in model.Figures)
            {
                var format = formats[figure.Key];
                var goal = figure.Goal is null ? "" : figure.Goal + figure.MedianMeetsGoal switch { true => ": met", false => ": missed", null => "" };
                var spread = figure.Count == 0 ? "–" : $"{F(figure.Min, format)}–{F(figure.Max, format)}";
                text.Append(c, $"| {figure.Title} | {F(figure.Median, format)} | {spread} | ");
                text.Append(string.Join(" | ", figure.Values.Select(v => F(v, format))));
                text.Append(c, $" | {goal} |\n");
            }
        }

        return text.ToString();
    }

    private static string F(double? value, string format) => ReportNumbers.F(value, format);
}
