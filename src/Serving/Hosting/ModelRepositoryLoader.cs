using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Serving.Batching;
using Serving.Execution;
using Serving.Models;
using Serving.Telemetry;

namespace Serving.Hosting;

/// <summary>
/// Loads every model of the repository at start: validates each config, opens its sessions, checks
/// the graph against the config, warms every session, and publishes the models. Any problem stops
/// start-up with a message naming the file.
/// </summary>
internal sealed class ModelRepositoryLoader(
    ModelRepository repository,
    IOptions<ServingOptions> options,
    ServingMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggerFactory) : IHostedService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ModelRepositoryLoader>();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(options.Value.ModelRepositoryPath);
        var models = new List<ServedModel>();
        try
        {
            foreach (var folder in ModelFolder.FindModels(root))
            {
                cancellationToken.ThrowIfCancellationRequested();
                models.Add(LoadModel(folder));
            }
        }
        catch (ModelConfigException ex)
        {
            _logger.LogCritical("Model repository {Root} cannot be served: {Problem}", root, ex.Message);
            throw;
        }

        repository.Publish(models);
        _logger.LogInformation("Serving {Count} models from {Root}: {Models}", models.Count, root, string.Join(", ", models.Select(m => $"{m.Name} v{m.Default.Version}")));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await repository.DisposeAsync().ConfigureAwait(false);

    private ServedModel LoadModel(string folder)
    {
        var configPath = Path.Combine(folder, ModelFolder.ConfigFileName);
        var spec = ModelConfigLoader.LoadFile(configPath);
        var folderName = Path.GetFileName(folder);
        if (spec.Name != folderName)
        {
            throw new ModelConfigException(configPath, $"'name' is '{spec.Name}' but the folder is '{folderName}'");
        }

        var versions = ModelFolder.FindVersions(folder);
        var defaultVersion = spec.DefaultVersion ?? versions[^1];
        if (!versions.Contains(defaultVersion))
        {
            throw new ModelConfigException(configPath, $"'defaultVersion' {defaultVersion} has no folder with a {ModelFolder.ModelFileName} (found: {string.Join(", ", versions)})");
        }

        var served = versions.Select(v => LoadVersion(spec, v, Path.Combine(folder, v, ModelFolder.ModelFileName))).ToList();
        return new ServedModel(spec.Name, served, defaultVersion);
    }

    private ServedModelVersion LoadVersion(ModelSpec spec, string version, string modelPath)
    {
        var cpu = options.Value.Devices.Cpu;
        var replicaCount = spec.Devices.Cpu?.Replicas ?? cpu.Replicas;
        var threads = spec.Devices.Cpu?.IntraOpThreads ?? cpu.IntraOpThreads;
        var batching = BatchingOverrides.Apply(options.Value.Batching, spec.Batching, spec.ConfigPath);
        var maxBatchRows = batching.MaxBatchRows;
        var cost = new BatchCostModel();
        var replicas = new List<SessionReplica>(replicaCount);
        for (var r = 0; r < replicaCount; r++)
        {
            InferenceSession session;
            try
            {
                session = CpuSessionFactory.Create(modelPath, threads);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new ModelConfigException(modelPath, $"cannot be loaded by ONNX Runtime: {ex.Message}", ex);
            }

            var signature = OnnxSignature.Verify(session, spec, modelPath);
            var replica = new SessionReplica(session, spec, signature, maxBatchRows, "cpu");
            WarmUp(replica, cost);
            replicas.Add(replica);
        }

        var pool = new DevicePool("cpu", replicas, time, _logger, batch => metrics.RecordBatch(spec.Name, batch));
        var scheduler = new BatchScheduler(pool, new BatchSettings(batching), cost, time, new ModelBatchObserver(metrics, spec.Name));
        metrics.ModelReady.WithLabels(spec.Name, version).Set(1);
        _logger.LogInformation("Loaded {Model} v{Version} from {Path}: {Replicas} CPU replicas x {Threads} threads, {Mode} batching, target {Target} rows, max {Rows} rows", spec.Name, version, modelPath, replicaCount, threads, batching.Mode, batching.TargetBatchRows, maxBatchRows);
        return new ServedModelVersion(spec, version, modelPath, scheduler, [pool]) { Ready = true };
    }

    private void WarmUp(SessionReplica replica, BatchCostModel cost)
    {
        // Run every batch shape class the server will use, so the first real request pays no
        // first-run cost; the timed second pass seeds the cost model.
        for (var pass = 0; pass < 2; pass++)
        {
            for (var rows = 1; rows <= replica.MaxBatchRows; rows = rows < replica.MaxBatchRows ? Math.Min(rows * 4, replica.MaxBatchRows) : rows + 1)
            {
                var started = time.GetTimestamp();
                replica.Run(rows);
                if (pass == 1)
                {
                    cost.Observe(rows, time.GetElapsedTime(started));
                }
            }
        }
    }
}
