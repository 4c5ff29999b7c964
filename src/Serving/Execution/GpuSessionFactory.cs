using Microsoft.ML.OnnxRuntime;

namespace Serving.Execution;

/// <summary>
/// Creates CUDA execution provider sessions. Creating the session is the only proof of a usable
/// GPU: <c>GetAvailableProviders()</c> lists CUDA even where its libraries or the device are missing.
/// </summary>
public static class GpuSessionFactory
{
    public static InferenceSession Create(string modelPath, int deviceId, GpuPoolOptions options)
    {
        using var cuda = new OrtCUDAProviderOptions();
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cudnn_conv_algo_search"] = options.CudnnConvAlgoSearch,
            ["arena_extend_strategy"] = options.ArenaExtendStrategy,
        };
        if (options.MemoryLimitBytes > 0)
        {
            settings["gpu_mem_limit"] = options.MemoryLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        cuda.UpdateOptions(settings);
        using var sessionOptions = SessionOptions.MakeSessionOptionWithCudaProvider(cuda);
        sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
        sessionOptions.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
        sessionOptions.IntraOpNumThreads = 1;
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new InferenceSession(modelPath, sessionOptions);
    }
}
