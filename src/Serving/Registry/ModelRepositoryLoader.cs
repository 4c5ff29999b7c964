using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Batching;
using Serving.Execution;
using Serving.Models;
using Serving.Telemetry;

namespace Serving.Registry;

/// <summary>
/// Loads every model of the repository at start: validates each config, opens its sessions, checks
/// the graph against the config, warms every session, and publishes the models. Any problem stops
/// start-up with a message naming the file.
/// </summary>
internal sealed class ModelRepositoryLoader(
    ModelRegistry registry,
    IOptions<ModelRepositoryOptions> options,
    IOptions<BatchingOptions> batching,
    IOptions<DevicesOptions> devices,
    ServingMetrics metrics,
    GpuAvailability gpuAvailability,
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

        registry.Publish(models);
        _logger.LogInformation("Serving {Count} models from {Root}: {Models}", models.Count, root, string.Join(", ", models.Select(m => $"{m.Name} v{m.Default.Version}")));
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await registry.DisposeAsync().ConfigureAwait(false);

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

        var builder = new ModelVersionBuilder(batching.Value, devices.Value, metrics, gpuAvailability, time, _logger);
        var served = versions.Select(v => builder.Build(spec, v, Path.Combine(folder, v, ModelFolder.ModelFileName))).ToList();
        return new ServedModel(spec.Name, served, defaultVersion);
    }
}
