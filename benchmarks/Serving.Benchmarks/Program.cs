using BenchmarkDotNet.Running;
using Serving.Benchmarks;

// Commands (see BenchmarkCommands; each has --help):
//   (none, or BenchmarkDotNet arguments)  the hot-path microbenchmarks (HotPathBenchmarks)
//   raw-ort  [--seconds S] [--sizes 1,10] [--out FILE]  raw ONNX Runtime rows/s by batch size (pin with taskset)
//   probe    --target URL --rate R ...      open-loop probe: latency per status, server timing
//   free-ports N                            prints N free loopback TCP ports
//   report   --dir artifacts/bench          results.json + table.md from a benchmark.sh run
//   headline --dir artifacts/headline       headline.json + headline.md from a headline.sh run (median, spread)
//   parse-assemble [--seconds S]            wire read + feature assembly µs per request (pin with taskset)
//   gpu-check [--out DIR] [--stand-in]      CUDA-vs-CPU score parity + CUDA rows/s per model (GPU hosts; scripts/gpu-benchmark.sh)
var commands = BenchmarkCommands.Create();
if (BenchmarkCommands.Handles(commands, args))
{
    return await commands.Parse(args).InvokeAsync().ConfigureAwait(false);
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
