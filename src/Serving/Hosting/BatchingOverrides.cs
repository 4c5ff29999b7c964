using Serving.Batching;
using Serving.Models;

namespace Serving.Hosting;

/// <summary>Applies a model's config.json batching overrides on top of the server's defaults.</summary>
internal static class BatchingOverrides
{
    public static BatchingOptions Apply(BatchingOptions defaults, BatchingDocument model, string configPath)
    {
        var merged = new BatchingOptions
        {
            Mode = model.Mode is null ? defaults.Mode : ParseMode(model.Mode, configPath),
            TargetBatchRows = model.TargetBatchRows ?? defaults.TargetBatchRows,
            MaxBatchRows = model.MaxBatchRows ?? defaults.MaxBatchRows,
            MaxQueueDelay = model.MaxQueueDelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : defaults.MaxQueueDelay,
            MaxQueuedRows = model.MaxQueuedRows ?? defaults.MaxQueuedRows,
            BestEffortMaxQueueFraction = defaults.BestEffortMaxQueueFraction,
            DeadlineSafetyMargin = defaults.DeadlineSafetyMargin,
        };
        if (merged.MaxBatchRows < 1 || merged.TargetBatchRows < 1 || merged.TargetBatchRows > merged.MaxBatchRows)
        {
            throw new ModelConfigException(configPath, $"'batching': need 1 <= targetBatchRows ({merged.TargetBatchRows}) <= maxBatchRows ({merged.MaxBatchRows})");
        }

        if (merged.MaxQueueDelay < TimeSpan.Zero || merged.MaxQueuedRows < merged.MaxBatchRows)
        {
            throw new ModelConfigException(configPath, "'batching': maxQueueDelayMs must be >= 0 and maxQueuedRows >= maxBatchRows");
        }

        return merged;
    }

    private static BatchingMode ParseMode(string mode, string configPath) => mode switch
    {
        "adaptive" => BatchingMode.Adaptive,
        "static" => BatchingMode.Static,
        "none" => BatchingMode.None,
        _ => throw new ModelConfigException(configPath, $"'batching.mode' must be 'adaptive', 'static' or 'none', got '{mode}'"),
    };
}
