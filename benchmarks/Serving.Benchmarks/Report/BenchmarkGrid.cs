namespace Serving.Benchmarks;

/// <summary>The batching modes and workloads scripts/benchmark.sh runs, in the tables' order.</summary>
internal static class BenchmarkGrid
{
    public static readonly string[] Modes = ["adaptive", "static", "none"];

    public static readonly (string Key, string Title)[] Workloads = [("criteo", "Criteo mix"), ("small", "10 candidates"), ("medium", "100 candidates")];

    /// <summary>The id of a mode's run on a workload: goodput/ID/ and probe/ID.json.</summary>
    public static string Id(string mode, string workload) => $"{mode}-{workload}";

    /// <summary>The workload key of a fixed-size candidates spec (the overload run's), or null.</summary>
    public static string? WorkloadOf(string? candidates) => candidates switch
    {
        "fixed:10" => "small",
        "fixed:100" => "medium",
        "fixed:1000" => "large",
        _ => null,
    };
}
