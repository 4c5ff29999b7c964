using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Serving.LoadTest.Commands;
using Serving.LoadTest.Reporting;

namespace Serving.Benchmarks;

/// <summary><c>headline</c>: headline.json and headline.md from a scripts/headline.sh run (<see cref="HeadlineReport"/>).</summary>
internal static class HeadlineCommand
{
    private static readonly JsonSerializerOptions Json = new(ReportJson.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var dir = new Option<string>("--dir")
        {
            Description = "The run's output folder (scripts/headline.sh's OUT, holding rep-1, rep-2, ...)",
            HelpName = "dir",
            DefaultValueFactory = _ => Path.Combine(RepoPaths.Root, "artifacts", "headline"),
        };
        var command = new Command("headline", "Write headline.json and headline.md (median and spread over the interleaved repetitions) from a scripts/headline.sh run, and print the table");
        command.Options.Add(dir);
        command.SetAction((parseResult, _) => CommandErrors.GuardAsync(() =>
        {
            Console.Write(Write(parseResult.GetValue(dir)!));
            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>Reads the run in <paramref name="dir"/>, writes headline.json and headline.md there, and returns the table.</summary>
    public static string Write(string dir)
    {
        var result = HeadlineReport.Build(dir);
        if (result.Repetitions.Count == 0)
        {
            throw new ArgumentException($"no repetition folders (rep-1, rep-2, ...) in {dir}");
        }

        var table = HeadlineMarkdown.Write(result);
        File.WriteAllText(Path.Combine(dir, "headline.json"), JsonSerializer.Serialize(result, Json));
        File.WriteAllText(Path.Combine(dir, "headline.md"), table);
        return table;
    }
}
