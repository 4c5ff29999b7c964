using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Serving.Batching;
using Serving.Execution;
using Serving.Models;
using Serving.Telemetry;

namespace Serving.Registry;

/// <summary>
/// Builds one served model version: its CPU pool (always), its GPU pool when CUDA sessions can be
/// created (or the stand-in pool in tests), the router between them, and the batcher in front.
/// Each pool owns the cost model its warm-up seeds and its batches refine.
/// </summary>
internal sealed class ModelVersionBuilder(
    BatchingOptions batchingDefaults, DevicesOptions deviceDefaults, ServingMetrics metrics, GpuAvailability gpuAvailability, TimeProvider time, ILogger logger)
{
    public ServedModelVersion Build(ModelSpec spec, string version, string modelPath)
    {
        var batching = batchingDefaults.WithOverrides(spec.Batching, spec.ConfigPath);
        var devices = deviceDefaults.WithOverrides(spec.Devices, spec.ConfigPath);
        var factory = new ReplicaFactory(spec, modelPath, batching.MaxBatchRows, time);
        var cpuReplicas = devices.Cpu.Replicas;
        var threads = devices.Cpu.IntraOpThreads;
        var versionMetrics = metrics.ForVersion(spec.Name, version);
        var cpuCost = new BatchCostModel();
        var cpu = new DevicePool("cpu", factory.Create("cpu", cpuReplicas, () => Open(modelPath, () => OpenCpuSession(modelPath, threads)), cpuCost), cpuCost, time, logger, versionMetrics.RecordBatch, devices.Limits);
        var statuses = new List<DeviceStatus> { new("cpu", true, $"{cpuReplicas} replicas x {threads} threads") };
        metrics.DeviceState.WithLabels(spec.Name, "cpu").Set(1);

        var pools = new List<DevicePool> { cpu };
        IBatchExecutor executor = cpu;
        var gpu = TryCreateGpuPool(spec, modelPath, factory, devices, versionMetrics, out var gpuStatus);
        if (gpuStatus is not null)
        {
            statuses.Add(gpuStatus);
            metrics.DeviceState.WithLabels(spec.Name, "gpu").Set(gpuStatus.Available ? 1 : 0);
        }

        if (gpu is not null)
        {
            pools.Insert(0, gpu);
            executor = new DeviceRouter(cpu, gpu, devices.Gpu, time, new ModelDeviceObserver(metrics, spec.Name));
            metrics.SetCircuitState(spec.Name, "gpu", "closed");
        }

        var scheduler = new BatchScheduler(executor, batching, time, new ModelBatchObserver(metrics, spec.Name, version));
        logger.LogInformation(
            "Loaded {Model} v{Version} from {Path}: {Devices}; {Mode} batching, target {Target} rows, max {Rows} rows",
            spec.Name, version, modelPath, string.Join("; ", statuses.Select(s => $"{s.Device}: {(s.Available ? "" : "unavailable, ")}{s.Detail}")), batching.Mode, batching.TargetBatchRows, batching.MaxBatchRows);
        return new ServedModelVersion(spec, version, modelPath, scheduler, pools, statuses, versionMetrics);
    }

    private DevicePool? TryCreateGpuPool(ModelSpec spec, string modelPath, ReplicaFactory factory, DevicesOptions devices, VersionMetrics versionMetrics, out DeviceStatus? status)
    {
        var gpuOptions = devices.Gpu;
        status = null;
        if (!gpuOptions.Enabled)
        {
            return null;
        }

        if (gpuAvailability.Failure is { } known)
        {
            status = new DeviceStatus("gpu", false, known);
            return null;
        }

        var cost = new BatchCostModel();
        var replicas = new List<SessionReplica>();
        try
        {
            foreach (var deviceId in gpuOptions.DeviceIds)
            {
                Func<InferenceSession> open = gpuOptions.StandIn
                    ? () => CpuSessionFactory.Create(modelPath, 1)
                    : () => GpuSessionFactory.Create(modelPath, deviceId, gpuOptions);
                replicas.AddRange(factory.Create("gpu", gpuOptions.ReplicasPerDevice, open, cost));
            }

            var detail = gpuOptions.StandIn
                ? $"{replicas.Count} stand-in replicas (CPU sessions behind the GPU pool: Serving:Devices:Gpu:StandIn)"
                : $"{replicas.Count} CUDA replicas on devices {string.Join(",", gpuOptions.DeviceIds)}";
            status = new DeviceStatus("gpu", true, detail);
            return new DevicePool("gpu", replicas, cost, time, logger, versionMetrics.RecordBatch, devices.Limits);
        }
        catch (OnnxRuntimeException ex)
        {
            // Sessions already made on earlier devices would hold GPU memory for nothing.
            replicas.ForEach(r => r.Dispose());
            var reason = $"CUDA sessions cannot be created: {FirstLine(ex.Message)}";
            if (gpuAvailability.RecordFailure(reason))
            {
                logger.LogWarning(
                    "GPU not used, serving on CPU. {Reason}. A GPU host needs the CUDA 13 and cuDNN 9 libraries for ONNX Runtime 1.31 (see docs/gpu.md); set Serving:Devices:Gpu:Enabled=false to skip the attempt.",
                    reason);
            }

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

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>
    /// A CPU session, built at normal priority. It was built on a low-priority thread when it had one
    /// intra-op thread, on the belief that ONNX Runtime then starts no thread of its own; it does: a
    /// server's threads listed one alive at nice 19 named after that builder (a thread inherits its
    /// creator's name and nice value), and in CI runs of the overload test a fresh server answered
    /// 62-412 OK/s where it answers ~900-1,100.
    /// </summary>
    private static InferenceSession OpenCpuSession(string modelPath, int intraOpThreads) =>
        CpuSessionFactory.Create(modelPath, intraOpThreads);
}
