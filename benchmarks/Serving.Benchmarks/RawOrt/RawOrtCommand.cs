using System.CommandLine;
using Serving.LoadTest.Commands;

namespace Serving.Benchmarks;

/// <summary><c>raw-ort</c>: the limit, raw ONNX Runtime rows/s by batch size (<see cref="RawOrtRunner"/>).</summary>
internal static class RawOrtCommand
{
    public static Command Create()
    {
        var options = new CommandOptions();
        var command = new Command("raw-ort", "Raw ONNX Runtime rows/s by batch size, in a tight loop on the calling thread (pin with taskset)");
        options.AddTo(command);
        command.SetAction((parseResult, _) => CommandErrors.GuardAsync(() => Task.FromResult(RawOrtRunner.Run(options.Bind(parseResult)))));
        return command;
    }

    /// <summary>Parses a <c>raw-ort</c> command line into options without running it (for tests).</summary>
    internal static RawOrtOptions Bind(string[] args)
    {
        var options = new CommandOptions();
        var command = new Command("raw-ort");
        options.AddTo(command);
        return options.Bind(OptionParsers.ParseOrThrow(command, args));
    }

    private sealed class CommandOptions
    {
        public Option<string> Config { get; } = new("--config")
        {
            Description = "The model's config.json; the model is VERSION/model.onnx beside it",
            HelpName = "path",
            DefaultValueFactory = _ => RepoPaths.DefaultModelConfig,
        };

        public Option<string> Version { get; } = new("--version")
        {
            Description = "The model version folder",
            DefaultValueFactory = _ => "1",
        };

        public Option<double> Seconds { get; } = new("--seconds")
        {
            Description = "Timed ONNX Runtime seconds per batch size",
            DefaultValueFactory = _ => 1,
        };

        public Option<int> MaxBatch { get; } = new("--max-batch")
        {
            Description = "The largest batch; sizes are 1, 2, 4, ... up to it",
            DefaultValueFactory = _ => 1024,
        };

        public Option<string?> Out { get; } = new("--out")
        {
            Description = "Write the result as JSON to this file",
            HelpName = "file",
        };

        public Option<string?> Data { get; } = new("--data")
        {
            Description = "Criteo .txt whose rows fill the batches; default: one synthetic request",
            HelpName = "path",
        };

        public Option<int?> Batches { get; } = new("--batches")
        {
            Description = "Different requests of --data rotated, one loaded (untimed) before each run; default 64 with --data, else 1",
        };

        public Option<string?> Sizes { get; } = new("--sizes")
        {
            Description = "Comma-separated batch sizes to measure instead of 1, 2, 4, ... --max-batch (e.g. 1,10,32,100,165,1024); the largest sets --max-batch",
            HelpName = "rows,rows,...",
        };

        public Option<double> IdleMs { get; } = new("--idle-ms")
        {
            Description = "Idle time before each timed run, in ms (untimed): runs that start cold, as a lightly loaded server's do; default 0 (back to back)",
            DefaultValueFactory = _ => 0,
        };

        public void AddTo(Command command)
        {
            OptionParsers.AddAll(command, Config, Version, Seconds, MaxBatch, Out, Data, Batches, Sizes, IdleMs);
        }

        public RawOrtOptions Bind(ParseResult parseResult)
        {
            var data = parseResult.GetValue(Data);
            var sizes = BatchSizes.Parse(parseResult.GetValue(Sizes));
            var idleMs = parseResult.GetValue(IdleMs);
            if (idleMs < 0 || double.IsNaN(idleMs))
            {
                throw new ArgumentException($"--idle-ms must be 0 or more, got {idleMs}");
            }

            return new RawOrtOptions(
                parseResult.GetValue(Config)!,
                parseResult.GetValue(Version)!,
                parseResult.GetValue(Seconds),
                sizes.Count > 0 ? sizes.Max() : parseResult.GetValue(MaxBatch),
                parseResult.GetValue(Out),
                data,
                parseResult.GetValue(Batches) ?? (data is null ? 1 : 64))
            {
                BatchSizes = sizes,
                IdleMs = idleMs,
            };
        }
    }
}

/// <summary>One raw-ort run, as its command line asked for it.</summary>
internal sealed record RawOrtOptions(
    string ModelConfigPath, string Version, double SecondsPerBatchSize, int MaxBatchRows, string? OutputPath, string? DataPath, int BatchCount)
{
    /// <summary>The batch sizes to measure; empty: 1, 2, 4, ... <see cref="MaxBatchRows"/>.</summary>
    public IReadOnlyList<int> BatchSizes { get; init; } = [];

    /// <summary>Idle milliseconds before each timed run (0: back to back).</summary>
    public double IdleMs { get; init; }
}
