using System.Globalization;
using Serving.Fleet.Fleet;
using Serving.Fleet.Output;
using Serving.Fleet.Scenarios;
using Serving.Fleet.Validation;

namespace Serving.Fleet;

/// <summary>
/// <c>Serving.Fleet [simulate] --seed N --out DIR [--scenarios a,b] [--autoscalers a,b] [--parallel N] [--trace FILE.csv] [--no-plots]</c>,
/// or <c>Serving.Fleet predict --rates 200,600,1000 [--cores 1] [--seconds 10] [--seed N]</c> (the single-pod prediction, docs/fleet.md).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        try
        {
            var arguments = Arguments.Parse(args);
            return arguments.Command switch
            {
                "simulate" => Simulate(arguments),
                "predict" => SinglePodPrediction.Run(arguments),
                _ => throw new ArgumentException($"unknown command '{arguments.Command}' (simulate, predict)"),
            };
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
    }

    private static int Simulate(Arguments arguments)
    {
        var seed = arguments.Int("seed", 1);
        var output = arguments.Text("out", "artifacts/fleet");
        var trace = arguments.TextOrNull("trace");
        var names = arguments.List("scenarios", trace is null ? ScenarioCatalog.Names : ["replay"]);
        var scenarios = names.Select(n => ScenarioCatalog.Create(n, seed, trace)).ToList();
        var autoscalers = arguments.List("autoscalers", AutoscalerSet.Names);
        var started = DateTime.UtcNow;
        var runs = Experiment.Run(scenarios, autoscalers, seed, arguments.Int("parallel", Environment.ProcessorCount), Console.Error.WriteLine);
        ReportWriter.Write(output, seed, scenarios, runs, plots: !arguments.Flag("no-plots"));
        Console.Error.WriteLine($"{runs.Count} runs in {(DateTime.UtcNow - started).TotalSeconds:F0} s; wrote {output}/summary.md, results.json, series/, plots/");
        Console.WriteLine(File.ReadAllText(Path.Combine(output, "summary.md")));
        return 0;
    }
}
