using System.CommandLine;

namespace Serving.Benchmarks;

/// <summary>The tool's commands beside BenchmarkDotNet, parsed with System.CommandLine as the load generator's are.</summary>
internal static class BenchmarkCommands
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Benchmarks behind scripts/benchmark.sh. Without one of these commands the arguments go to BenchmarkDotNet (the hot-path microbenchmarks).");
        root.Subcommands.Add(RawOrtCommand.Create());
        root.Subcommands.Add(ProbeCommand.Create());
        root.Subcommands.Add(ParseAssembleCommand.Create());
        root.Subcommands.Add(FreePorts.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(HeadlineCommand.Create());
        root.Subcommands.Add(GpuCheckCommand.Create());
        return root;
    }

    /// <summary>True when the command line starts with one of the commands (anything else is BenchmarkDotNet's).</summary>
    public static bool Handles(RootCommand root, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        return args.Count > 0 && root.Subcommands.Any(c => c.Name == args[0]);
    }
}
