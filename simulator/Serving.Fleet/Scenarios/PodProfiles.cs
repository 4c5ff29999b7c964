using Serving.Fleet.Devices;

namespace Serving.Fleet.Scenarios;

/// <summary>The pod kinds the scenarios use, with cost curves read from the data folder.</summary>
internal static class PodProfiles
{
    /// <summary>The data folder shipped beside the simulator (cost curves).</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>A CPU pod of <paramref name="cores"/> cores, one session replica per core, models' curves from raw ONNX Runtime.</summary>
    public static PodProfile Cpu(int cores = 2) => new()
    {
        Name = $"cpu-{cores}core",
        Cores = cores,
        LoadedReplicas = cores,
        Curves = new Dictionary<string, CostCurve>(StringComparer.Ordinal)
        {
            ["criteo-deepfm"] = CostCurve.Load(Path.Combine(DataDirectory, "criteo-deepfm.cpu.csv")),
            ["avazu-dcn"] = CostCurve.Load(Path.Combine(DataDirectory, "avazu-dcn.cpu.csv")),
        },
    };

    /// <summary>A GPU pod: one GPU (the documented parameter set, data/gpu.csv) and 4 cores for request handling.</summary>
    public static PodProfile Gpu() => new()
    {
        Name = "gpu-1x4core",
        Cores = 4,
        Gpus = 1,
        LoadedReplicas = 2,
        Curves = new Dictionary<string, CostCurve>(StringComparer.Ordinal)
        {
            ["criteo-deepfm"] = CostCurve.Load(Path.Combine(DataDirectory, "gpu.csv")),
            ["avazu-dcn"] = CostCurve.Load(Path.Combine(DataDirectory, "gpu.csv")),
        },
    };
}
