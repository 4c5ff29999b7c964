using BenchmarkDotNet.Running;
using Serving.Benchmarks;

// Commands:
//   (none, or BenchmarkDotNet arguments)  the hot-path microbenchmarks (HotPathBenchmarks)
//   raw-ort  [--seconds S] [--out FILE]     raw ONNX Runtime rows/s by batch size (pin with taskset)
//   probe    --target URL --rate R ...      open-loop probe: latency per status, server timing
//   free-ports N                            prints N free loopback TCP ports
//   report   --dir artifacts/bench          results.json + table.md from a benchmark.sh run
return args.FirstOrDefault() switch
{
    "raw-ort" => RawOrtCommand.Run(args[1..]),
    "probe" => await ProbeCommand.RunAsync(args[1..]).ConfigureAwait(false),
    "free-ports" => FreePorts.Run(args[1..]),
    "report" => ReportCommand.Run(args[1..]),
    _ => RunBenchmarks(args),
};

static int RunBenchmarks(string[] args)
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
    return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
}
