using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Serving.Batching;
using Serving.Execution;
using Serving.Models;
using Serving.Telemetry;

namespace Serving.Hosting;

/// <summary>
/// Builds one served model version: its CPU pool (always), its GPU pool when CUDA sessions can be
/// created (or the stand-in pool in tests), the router between them, and the batcher in front.
/// </summary>
internal sealed class ModelVersionBuilder(ServingOptions options, ServingMetrics metrics, GpuAvailability gpuAvailability, TimeProvider time, ILogger logger)
{
    public ServedModelVersion Build(ModelSpec spec, string version, string modelPath)
    {
        var batching = BatchingOverrides.Apply(options.Batching, spec.Batching, spec.ConfigPath);
        var factory = new ReplicaFactory(spec, modelPath, batching.MaxBatchRows, time);
        var cpuOptions = options.Devices.Cpu;
        var cpuReplicas = spec.Devices.Cpu?.Replicas ?? cpuOptions.Replicas;
        var threads = spec.Devices.Cpu?.IntraOpThreads ?? cpuOptions.IntraOpThreads;
        var cpuCost = new BatchCostModel();
        var cpu = new DevicePool("cpu", factory.Create("cpu", cpuReplicas, () => Open(modelPath, () => CpuSessionFactory.Create(modelPath, threads)), cpuCost), time, logger, Record(spec));
        var statuses = new List<DeviceStatus> { new("cpu", true, $"{cpuReplicas} replicas x {threads} threads") };
        metrics.DeviceState.WithLabels(spec.Name, "cpu").Set(1);

        var pools = new List<DevicePool> { cpu };
        IBatchExecutor executor = cpu;
        var batchCost = cpuCost;
        var gpu = TryCreateGpuPool(spec, modelPath, factory, out var gpuCost, out var gpuStatus);
        if (gpuStatus is not null)
        {
            statuses.Add(gpuStatus);
            metrics.DeviceState.WithLabels(spec.Name, "gpu").Set(gpuStatus.Available ? 1 : 0);
        }

        if (gpu is not null)
        {
            pools.Insert(0, gpu);
            executor = new DeviceRouter(cpu, gpu, cpuCost, gpuCost!, options.Devices.Gpu, time, new ModelDeviceObserver(metrics, spec.Name));
            metrics.CircuitState.WithLabels(spec.Name, "gpu").Set(0);
            batchCost = gpuCost!;
        }

        var scheduler = new BatchScheduler(executor, new BatchSettings(batching), batchCost, time, new ModelBatchObserver(metrics, spec.Name));
        metrics.ModelReady.WithLabels(spec.Name, version).Set(1);
        logger.LogInformation(
            "Loaded {Model} v{Version} from {Path}: {Devices}; {Mode} batching, target {Target} rows, max {Rows} rows",
            spec.Name, version, modelPath, string.Join("; ", statuses.Select(s => $"{s.Device}: {(s.Available ? "" : "unavailable, ")}{s.Detail}")), batching.Mode, batching.TargetBatchRows, batching.MaxBatchRows);
        return new ServedModelVersion(spec, version, modelPath, scheduler, pools, statuses) { Ready = true };
    }

    private DevicePool? TryCreateGpuPool(ModelSpec spec, string modelPath, ReplicaFactory factory, out BatchCostModel? cost, out DeviceStatus? status)
    {
        var gpuOptions = options.Devices.Gpu;
        cost = null;
        status = null;
        if (!(spec.Devices.Gpu?.Enabled ?? gpuOptions.Enabled))
        {
            return null;
        }

        var perDevice = spec.Devices.Gpu?.ReplicasPerDevice ?? gpuOptions.ReplicasPerDevice;
        if (gpuAvailability.Failure is { } known)
        {
            status = new DeviceStatus("gpu", false, known);
            return null;
        }

        cost = new BatchCostModel();
        try
        {
            var replicas = new List<SessionReplica>();
            foreach (var deviceId in gpuOptions.DeviceIds)
            {
                Func<InferenceSession> open = gpuOptions.StandIn
                    ? () => CpuSessionFactory.Create(modelPath, 1)
                    : () => GpuSessionFactory.Create(modelPath, deviceId, gpuOptions);
                replicas.AddRange(factory.Create("gpu", perDevice, open, cost));
            }

            var detail = gpuOptions.StandIn
                ? $"{replicas.Count} stand-in replicas (CPU sessions behind the GPU pool: Serving:Devices:Gpu:StandIn)"
                : $"{replicas.Count} CUDA replicas on devices {string.Join(",", gpuOptions.DeviceIds)}";
            status = new DeviceStatus("gpu", true, detail);
            return new DevicePool("gpu", replicas, time, logger, Record(spec));
        }
        catch (OnnxRuntimeException ex)
        {
            var reason = $"CUDA sessions cannot be created: {FirstLine(ex.Message)}";
            if (gpuAvailability.RecordFailure(reason))
            {
                logger.LogWarning(
                    "GPU not used, serving on CPU. {Reason}. A GPU host needs the CUDA 13 and cuDNN 9 libraries for ONNX Runtime 1.31 (see docs/gpu.md); set Serving:Devices:Gpu:Enabled=false to skip the attempt.",
                    reason);
            }

            cost = null;
            status = new DeviceStatus("gpu", false, reason);
            return null;
        }
    }

    private static InferenceSession Open(string modelPath, Func<InferenceSession> open)
    {
        try
        {
            return open();
        }
        catch (OnnxRuntimeException ex)
        {
            throw new ModelConfigException(modelPath, $"cannot be loaded by ONNX Runtime: {ex.Message}", ex);
        }
    }

    private Action<BatchExecution> Record(ModelSpec spec) => batch => metrics.RecordBatch(spec.Name, batch);

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
