using Microsoft.ML.OnnxRuntime;

namespace Serving.Execution;

/// <summary>Creates CPU-provider sessions: sequential execution, a fixed intra-op thread count, no spinning.</summary>
public static class CpuSessionFactory
{
    public static InferenceSession Create(string modelPath, int intraOpThreads)
    {
        using var options = new SessionOptions
        {
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
        };

        // Several sessions share the cores: spinning threads would steal them from each other.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
        return new InferenceSession(modelPath, options);
    }
}
