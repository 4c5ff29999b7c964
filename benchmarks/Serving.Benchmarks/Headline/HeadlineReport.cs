using System.Globalization;
using System.Text.RegularExpressions;

namespace Serving.Benchmarks;

/// <summary>
/// Aggregates a scripts/headline.sh run: folders rep-1, rep-2, ... each holding one folder per model
/// (the layout <see cref="HeadlineFigures.Of"/> reads). Each figure is computed within its repetition
/// (ratios included), then summarised over the repetitions as a median and its spread.
/// </summary>
internal static partial class HeadlineReport
{
    public static HeadlineResult Build(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        var reps = Directory.Exists(dir)
            ? Directory.GetDirectories(dir).Select(Path.GetFileName).OfType<string>()
                .Select(n => (Name: n, Match: RepetitionName().Match(n)))
                .Where(r => r.Match.Success)
                .OrderBy(r => int.Parse(r.Match.Groups[1].Value, CultureInfo.InvariantCulture))
                .Select(r => r.Name).ToList()
            : [];
        var models = reps.SelectMany(r => Directory.GetDirectories(Path.Combine(dir, r)).Select(Path.GetFileName).OfType<string>())
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var revisionFile = Path.Combine(dir, "revision.txt");
        return new HeadlineResult
        {
            Revision = File.Exists(revisionFile) ? File.ReadAllText(revisionFile).Trim() : "unknown",
            Repetitions = reps,
            Models = [.. models.Select(m => Aggregate(m, [.. reps.Select(r => HeadlineFigures.Of(new BenchmarkRunFiles(Path.Combine(dir, r, m))))]))],
        };
    }

    /// <summary>One model's figures: each one's values in repetition order, their median and spread.</summary>
    public static HeadlineModel Aggregate(string model, IReadOnlyList<IReadOnlyDictionary<string, double?>> repetitions)
    {
        ArgumentNullException.ThrowIfNull(repetitions);
        var figures = new List<HeadlineFigureResult>();
        foreach (var figure in HeadlineFigures.All)
        {
            var spread = Spread.Of([.. repetitions.Select(r => r.GetValueOrDefault(figure.Key))]);
            var meets = figure.Meets is { } test && spread.Median is { } median ? test(median) : (bool?)null;
            figures.Add(new HeadlineFigureResult(figure.Key, figure.Title, figure.Goal, spread.Median, spread.Min, spread.Max, spread.Count, spread.Values, meets));
        }

        return new HeadlineModel(model, figures);
    }

    [GeneratedRegex(@"^rep-(\d+)$")]
    private static partial Regex RepetitionName();
}
