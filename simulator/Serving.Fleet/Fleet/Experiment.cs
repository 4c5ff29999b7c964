namespace Serving.Fleet.Fleet;

/// <summary>One run to make: a deployment of a scenario under one autoscaler.</summary>
internal sealed record RunPlan(Scenario Scenario, DeploymentSpec Deployment, string Autoscaler);

/// <summary>
/// Runs every scenario's deployments under every autoscaler. Runs are independent (each has its
/// own clock, pod and random streams derived from the seed and its name), so they may run in
/// parallel and still give the same results, collected in plan order.
/// </summary>
internal static class Experiment
{
    public static IReadOnlyList<RunResult> Run(IReadOnlyList<Scenario> scenarios, IReadOnlyList<string> autoscalers, int seed, int parallelism, Action<string>? progress = null)
    {
        var capacities = new Dictionary<string, PodCapacity>(StringComparer.Ordinal);
        var plans = new List<RunPlan>();
        foreach (var scenario in scenarios)
        {
            foreach (var deployment in scenario.Deployments)
            {
                foreach (var part in Parts(deployment).Prepend(deployment))
                {
                    var key = CapacityKey(part);
                    if (!capacities.ContainsKey(key))
                    {
                        capacities[key] = CapacityCalibrator.Calibrate(part, seed);
                        progress?.Invoke($"capacity of {key}: {capacities[key].RequestsPerSecond:F0} req/s per pod (CPU {capacities[key].CpuUtilizationAtCapacity:P0}), {capacities[key].OngoingAtTarget:F2} in flight at 70%");
                    }
                }

                plans.AddRange(autoscalers.Select(a => new RunPlan(scenario, deployment, a)));
            }
        }

        var results = new RunResult[plans.Count];
        Parallel.For(0, plans.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            var plan = plans[i];
            var capacity = capacities[CapacityKey(plan.Deployment)];
            var modelCapacities = Parts(plan.Deployment).Select(p => capacities[CapacityKey(p)].RequestsPerSecond).ToArray();
            var autoscaler = AutoscalerSet.Create(plan.Autoscaler, plan.Scenario, plan.Deployment, capacity, modelCapacities);
            var started = DateTime.UtcNow;
            results[i] = new FleetRun(plan.Scenario, plan.Deployment, autoscaler, seed, modelCapacities).Run(AutoscalerSet.InitialPods(plan.Scenario, plan.Deployment, capacity));
            progress?.Invoke($"{plan.Scenario.Name}/{plan.Deployment.Name}/{plan.Autoscaler}: {results[i].PodHours:F1} pod-hours in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
        });

        return results;
    }

    /// <summary>Each model of the deployment alone on the same pod (the deployment itself when it has one model).</summary>
    private static IEnumerable<DeploymentSpec> Parts(DeploymentSpec deployment) =>
        deployment.Models.Count == 1 ? [deployment] : deployment.Models.Select(m => deployment with { Name = m.Model.Name, Models = [m] });

    /// <summary>Deployments with the same pod and models share a calibration (the mix is the trace's, so the traces count too).</summary>
    private static string CapacityKey(DeploymentSpec deployment) =>
        $"{deployment.Profile.Name}:{string.Join('+', deployment.Models.Select(m => m.Model.Name))}:{string.Join('/', CapacityCalibrator.Mix(deployment).Select(x => x.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)))}";
}
