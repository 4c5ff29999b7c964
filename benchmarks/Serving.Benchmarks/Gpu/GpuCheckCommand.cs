using System.CommandLine;
using System.Globalization;
using Serving.LoadTest.Commands;

namespace Serving.Benchmarks;

/// <summary><c>gpu-check</c>: CUDA-vs-CPU score parity and raw CUDA rows/s by batch size for every model of a repository (<see cref="GpuCheckRunner"/>).</summary>
internal static class GpuCheckCommand
{
    public static Command Create()
    {
        var options = new CommandOptions();
        var command = new Command(
            "gpu-check",
            "On a GPU host: checks that CUDA sessions give the CPU's scores for every model, then measures raw ONNX Runtime CUDA rows/s by batch size. "
            + $"Exit 0 all within the tolerance, 1 a parity failure, 2 bad arguments, {GpuCheckRunner.NoGpuExitCode} no usable GPU (refused at once).");
        options.AddTo(command);
        command.SetAction((parseResult, _) => CommandErrors.GuardAsync(
            () => Task.FromResult(GpuCheckRunner.Run(options.Bind(parseResult), GpuHostProbe.Host, Console.Out, Console.Error))));
        return command;
    }

    /// <summary>Parses a <c>gpu-check</c> command line into options without running it (for tests).</summary>
    internal static GpuCheckOptions Bind(string[] args)
    {
        var options = new CommandOptions();
        var command = new Command("gpu-check");
        options.AddTo(command);
        return options.Bind(OptionParsers.ParseOrThrow(command, args));
    }

    private sealed class CommandOptions
    {
        public Option<string> Models { get; } = new("--models")
        {
            Description = "The model repository; every model's highest version is checked",
            HelpName = "dir",
            DefaultValueFactory = _ => Path.Combine(RepoPaths.Root, "models"),
        };

        public Option<string> Out { get; } = new("--out")
        {
            Description = $"Folder for {GpuCheckReportWriter.JsonFile} and {GpuCheckReportWriter.MarkdownFile}",
            HelpName = "dir",
            DefaultValueFactory = _ => Path.Combine(RepoPaths.Root, "artifacts", "gpu"),
        };

        public Option<int> DeviceId { get; } = new("--device-id")
        {
            Description = "The CUDA device",
            DefaultValueFactory = _ => 0,
        };

        public Option<string> Sizes { get; } = new("--sizes")
        {
            Description = "Comma-separated batch sizes to measure",
            HelpName = "rows,rows,...",
            DefaultValueFactory = _ => string.Join(",", BatchSizes.PowersOfTwo(4096).Select(s => s.ToString(CultureInfo.InvariantCulture))),
        };

        public Option<double> Seconds { get; } = new("--seconds")
        {
            Description = "Timed ONNX Runtime seconds per batch size and device; 0 skips the rows/s sweep",
            DefaultValueFactory = _ => 1,
        };

        public Option<double> Tolerance { get; } = new("--tolerance")
        {
            Description = "Largest allowed |CUDA score - CPU score|",
            DefaultValueFactory = _ => 1e-5,
        };

        public Option<int> ParityRows { get; } = new("--parity-rows")
        {
            Description = "Synthetic candidates scored on both devices",
            DefaultValueFactory = _ => 1024,
        };

        public Option<bool> NoCpu { get; } = new("--no-cpu")
        {
            Description = "Skip the one-thread CPU sweep printed beside the CUDA figures",
        };

        public Option<bool> StandIn { get; } = new("--stand-in")
        {
            Description = "Compare CPU sessions with CPU sessions (no GPU needed): checks the tool and its report, not a GPU",
        };

        public void AddTo(Command command)
        {
            OptionParsers.AddAll(command, Models, Out, DeviceId, Sizes, Seconds, Tolerance, ParityRows, NoCpu, StandIn);
        }

        public GpuCheckOptions Bind(ParseResult parseResult)
        {
            var sizes = BatchSizes.Parse(parseResult.GetValue(Sizes));
            var (seconds, tolerance, parityRows) = (parseResult.GetValue(Seconds), parseResult.GetValue(Tolerance), parseResult.GetValue(ParityRows));
            if (sizes.Count == 0 || seconds < 0 || tolerance < 0 || parityRows < 1)
            {
                throw new ArgumentException("--sizes needs at least one size, --seconds and --tolerance must be >= 0, --parity-rows >= 1");
            }

            return new GpuCheckOptions(
                parseResult.GetValue(Models)!,
                parseResult.GetValue(Out)!,
                parseResult.GetValue(DeviceId),
                sizes,
                seconds,
                tolerance,
                parityRows,
                !parseResult.GetValue(NoCpu),
                parseResult.GetValue(StandIn));
        }
    }
}

/// <summary>One gpu-check run, as its command line asked for it.</summary>
internal sealed record GpuCheckOptions(
    string ModelRepository,
    string OutputDirectory,
    int DeviceId,
    IReadOnlyList<int> BatchSizes,
    double SecondsPerBatchSize,
    double Tolerance,
    int ParityRows,
    bool CpuBaseline,
    bool StandIn);
