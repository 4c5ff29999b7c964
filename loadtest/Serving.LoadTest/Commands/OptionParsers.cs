using System.CommandLine;
using System.CommandLine.Parsing;

namespace Serving.LoadTest.Commands;

/// <summary>Builders for the option types the CLI needs beyond System.CommandLine's own: durations and URLs.</summary>
internal static class OptionParsers
{
    /// <summary>A duration option whose default is applied by <see cref="DurationOption.Get"/>, so help shows "10s" rather than "00:00:10".</summary>
    public static DurationOption Duration(string name, string description, TimeSpan defaultValue) =>
        new(OptionalDuration(name, description + $"; default {DurationText.Format(defaultValue)}"), defaultValue);

    public static Option<TimeSpan?> OptionalDuration(string name, string description) => new(name)
    {
        Description = description + " (e.g. 500ms, 10s, 2m)",
        HelpName = "duration",
        CustomParser = ParseDuration,
    };

    public static Option<Uri> Url(string name, string description, string defaultValue) => new(name)
    {
        Description = description,
        HelpName = "url",
        DefaultValueFactory = _ => new Uri(defaultValue),
        CustomParser = ParseUrl,
    };

    /// <summary>A URL option that is null when not given.</summary>
    public static Option<Uri?> OptionalUrl(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "url",
        CustomParser = ParseUrl,
    };

    /// <summary>Parses a command line, throwing <see cref="ArgumentException"/> with every parse error: for binding it without invoking it (tests).</summary>
    public static ParseResult ParseOrThrow(Command command, string[] args)
    {
        ArgumentNullException.ThrowIfNull(command);
        var parseResult = command.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", parseResult.Errors.Select(e => e.Message)));
        }

        return parseResult;
    }

    public static void AddAll(Command command, params Option[] options)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(options);
        foreach (var option in options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>True when the user typed the option (not just its default).</summary>
    public static bool WasGiven(ParseResult parseResult, Option option) =>
        parseResult.GetResult(option) is { Implicit: false };

    private static Uri? ParseUrl(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return uri;
        }

        result.AddError($"'{text}' is not an absolute URL (e.g. http://127.0.0.1:8081).");
        return null;
    }

    private static TimeSpan? ParseDuration(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (DurationText.TryParse(text, out var value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a duration (use e.g. 500ms, 10s, 2m, 1h).");
        return null;
    }
}

/// <summary>A duration option and the default used when it is not given.</summary>
internal sealed record DurationOption(Option<TimeSpan?> Option, TimeSpan Default)
{
    public TimeSpan Get(ParseResult parseResult) => parseResult.GetValue(Option) ?? Default;
}
