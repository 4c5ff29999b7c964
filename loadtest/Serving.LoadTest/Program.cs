using System.CommandLine;
using Serving.LoadTest.Commands;

var root = new RootCommand(
    "Load generator for the Serving ranking API: open-loop Poisson arrivals, latency from the intended send time, goodput at SLO.");
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(MaxGoodputCommand.Create());

// Ctrl+C cancels the run; leave time to cancel in-flight calls and write the partial report.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
return await root.Parse(args).InvokeAsync(invocation);
