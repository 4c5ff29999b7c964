using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serving.Batching;
using Serving.Execution;
using Serving.Models;
using Serving.Telemetry;

namespace Serving.Registry;

/// <summary>
/// Moves the served versions towards what the repository and the control API ask for: at start,
/// every <c>Serving:Models:PollInterval</c>, and on each control call. A new or changed version is
/// loaded, checked against its config and warmed off the request path (on a low-priority thread),
/// then published with the rest in one snapshot; a version no longer wanted, or replaced, is
/// retired: it takes no new request, finishes what it has, then its sessions are disposed. A
/// version that fails to load leaves whatever served before serving, and says why (status, metric,
/// one log line naming the file). One model's failure never stops the others.
/// </summary>
internal sealed partial class ModelLifecycle(
    ModelRegistry registry,
    IOptions<ModelRepositoryOptions> options,
    IOptions<BatchingOptions> batching,
    IOptions<DevicesOptions> devices,
    ServingMetrics metrics,
    GpuAvailability gpuAvailability,
    TimeProvider time,
    ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<ModelLifecycle>();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, ModelEntry> _models = new(StringComparer.Ordinal);
    private readonly List<Task> _retiring = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _polling = Task.CompletedTask;

    private ModelLifecycleOptions Settings => options.Value.Models;

    public void Dispose()
    {
        _gate.Dispose();
        _stopping.Dispose();
    }

    private string Root => Path.GetFullPath(options.Value.ModelRepositoryPath);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var failures = await SyncAsync(cancellationToken).ConfigureAwait(false);
        if (failures.Count > 0 && Settings.FailFast)
        {
            throw new ModelConfigException(Root, $"Serving:Models:FailFast is set and {failures.Count} model version(s) failed to load: {string.Join("; ", failures)}");
        }

        if (Settings.PollInterval > TimeSpan.Zero)
        {
            _polling = PollAsync(_stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _polling.ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            registry.Clear();
            foreach (var entry in _models.Values)
            {
                foreach (var loaded in entry.Loaded.Values)
                {
                    _retiring.Add(loaded.Version.RetireAsync());
                }

                entry.Loaded.Clear();
            }
        }
        finally
        {
            _gate.Release();
        }

        await Task.WhenAll(_retiring).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task PollAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Settings.PollInterval, time, token).ConfigureAwait(false);
                await OwnThread.Switch("repository-poll"); // the scan, loads and swaps hold no request thread
                await SyncAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPollFailed(_logger, ex);
            }
        }
    }

    /// <summary>Scans the repository and brings every model to what it asks for; returns the failures of this pass.</summary>
    public async Task<IReadOnlyList<string>> SyncAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SyncLockedAsync(only: null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyList<string>> SyncLockedAsync(string? only, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        IReadOnlyList<string> folders;
        try
        {
            folders = ModelFolder.FindModels(Root);
        }
        catch (ModelConfigException ex)
        {
            LogRepositoryUnreadable(_logger, Root, ex.Message);
            return [ex.Message];
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            var name = Path.GetFileName(folder);
            present.Add(name);
            if (only is not null && name != only)
            {
                continue;
            }

            if (!_models.TryGetValue(name, out var entry))
            {
                entry = new ModelEntry(name, folder);
                _models[name] = entry;
            }

            await SyncModelAsync(entry, failures, cancellationToken).ConfigureAwait(false);
        }

        foreach (var gone in _models.Keys.Where(n => !present.Contains(n) && (only is null || n == only)).ToList())
        {
            var entry = _models[gone];
            LogModelRemoved(_logger, gone);
            RetireAll(entry);
            _models.Remove(gone);
            ForgetMetrics(entry);
        }

        Publish();
        return failures;
    }

    private async Task SyncModelAsync(ModelEntry entry, List<string> failures, CancellationToken cancellationToken)
    {
        try
        {
            entry.Policy = ModelConfigLoader.LoadPolicy(entry.ConfigPath);
            entry.PolicyProblem = null;
        }
        catch (ModelConfigException ex)
        {
            if (entry.PolicyProblem != ex.Message)
            {
                LogLoadFailed(_logger, entry.Name, "(all)", ex.Message);
                metrics.ModelLoadFailures.WithLabels(entry.Name).Inc();
            }

            entry.PolicyProblem = ex.Message;
            failures.Add(ex.Message);
            return; // what serves keeps serving
        }

        var onDisk = ModelFolder.FindVersions(entry.Folder);
        // The policy's versions, those loaded through the control API, and the default version
        // (requests naming none go there), less those unloaded through the control API.
        // Unloading the newest version rolls back to the one before it: the policy picks among the rest.
        var candidates = onDisk.Where(v => !entry.Excluded.Contains(v)).ToList();
        var pinnedDefault = entry.Policy.DefaultVersion is { } d && onDisk.Contains(d) ? [d] : Array.Empty<string>();
        var aspired = entry.Unloaded
            ? []
            : entry.Policy.Versions.Select(candidates).Concat(entry.Pinned.Where(onDisk.Contains)).Concat(pinnedDefault).Where(v => !entry.Excluded.Contains(v)).Distinct().ToList();
        foreach (var version in aspired)
        {
            var fingerprint = VersionFingerprint.Of(entry.Folder, version);
            if (entry.Loaded.TryGetValue(version, out var loaded) && loaded.Fingerprint == fingerprint)
            {
                continue;
            }

            if (entry.Failed.TryGetValue(version, out var failed) && failed.Fingerprint == fingerprint)
            {
                failures.Add(failed.Reason);
                continue; // retried once its files change
            }

            if (await TryLoadAsync(entry, version, fingerprint, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                failures.Add(problem);
            }
        }

        // A version the policy no longer wants gives way only once everything it wants serves: a
        // new version that failed to load leaves the one before it serving. Versions gone from disk
        // or unloaded through the control API go regardless.
        var replacementsLive = aspired.All(entry.Loaded.ContainsKey);
        foreach (var version in entry.Loaded.Keys.Where(v => !aspired.Contains(v)).ToList())
        {
            if (!replacementsLive && onDisk.Contains(version) && !entry.Unloaded && !entry.Excluded.Contains(version))
            {
                continue;
            }

            LogRetiring(_logger, entry.Name, version);
            Retire(entry, entry.Loaded[version].Version);
            entry.Loaded.Remove(version);
        }

        foreach (var version in entry.Failed.Keys.Where(v => !aspired.Contains(v)).ToList())
        {
            entry.Failed.Remove(version);
        }
    }

    /// <summary>Loads and warms one version off the request path; on success it replaces the version's earlier instance (retired). Returns the problem when it fails.</summary>
    private async Task<string?> TryLoadAsync(ModelEntry entry, string version, string fingerprint, CancellationToken cancellationToken)
    {
        var modelPath = ModelFolder.ModelPath(entry.Folder, version);
        var now = time.GetUtcNow();
        try
        {
            var spec = ModelConfigLoader.LoadVersion(entry.ConfigPath, ModelFolder.VersionConfigPath(entry.Folder, version));
            if (spec.Name != entry.Name)
            {
                throw new ModelConfigException(spec.ConfigPath, $"'name' is '{spec.Name}' but the folder is '{entry.Name}'");
            }

            var merged = devices.Value.WithOverrides(spec.Devices, spec.ConfigPath);
            CheckBudget(entry, version, modelPath, merged);
            entry.Loading[version] = now;
            Publish(); // the version shows as loading meanwhile
            var builder = new ModelVersionBuilder(batching.Value, devices.Value, metrics, gpuAvailability, time, _logger);
            var served = await OwnThread.Run(() => builder.Build(spec, version, modelPath), $"load-{entry.Name}-{version}").WaitAsync(cancellationToken).ConfigureAwait(false);
            if (entry.Loaded.TryGetValue(version, out var previous))
            {
                Retire(entry, previous.Version);
            }

            entry.Loaded[version] = new LoadedVersion(served, fingerprint, time.GetUtcNow());
            entry.Failed.Remove(version);
            LogLoaded(_logger, entry.Name, version, (time.GetUtcNow() - now).TotalMilliseconds);
            return null;
        }
        catch (Exception ex) when (ex is ModelConfigException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or InvalidOperationException)
        {
            var reason = ex is ModelConfigException ? ex.Message : $"{modelPath}: {ex.Message}";
            entry.Failed[version] = new FailedVersion(fingerprint, reason, time.GetUtcNow());
            metrics.ModelLoadFailures.WithLabels(entry.Name).Inc();
            LogLoadFailed(_logger, entry.Name, version, reason);
            return reason;
        }
        finally
        {
            entry.Loading.Remove(version);
        }
    }

    /// <summary>Refuses a load the resource budget cannot hold (sessions, estimated weight bytes), with the reason.</summary>
    private void CheckBudget(ModelEntry entry, string version, string modelPath, DevicesOptions merged)
    {
        var sessions = merged.Cpu.Replicas + (merged.Gpu.Enabled && gpuAvailability.Failure is null ? merged.Gpu.ReplicasPerDevice * merged.Gpu.DeviceIds.Length : 0);
        var replaced = entry.Loaded.TryGetValue(version, out var old) ? old.Version : null;
        var live = _models.Values.SelectMany(m => m.Loaded.Values).Select(l => l.Version).Where(v => v != replaced).ToList();
        if (Settings.MaxSessions > 0)
        {
            var inUse = live.Sum(v => v.Sessions);
            if (inUse + sessions > Settings.MaxSessions)
            {
                throw new InvalidOperationException($"resource budget: {entry.Name} v{version} needs {sessions} sessions, {inUse} are in use, Serving:Models:MaxSessions is {Settings.MaxSessions}");
            }
        }

        if (Settings.MaxModelBytes > 0)
        {
            var inUse = live.Sum(v => new FileInfo(v.ModelPath).Length * v.Sessions);
            var needed = new FileInfo(modelPath).Length * sessions;
            if (inUse + needed > Settings.MaxModelBytes)
            {
                throw new InvalidOperationException($"resource budget: {entry.Name} v{version} needs ~{needed} bytes of weights ({sessions} sessions), {inUse} are in use, Serving:Models:MaxModelBytes is {Settings.MaxModelBytes}");
            }
        }
    }

    private void RetireAll(ModelEntry entry)
    {
        foreach (var loaded in entry.Loaded.Values)
        {
            Retire(entry, loaded.Version);
        }

        entry.Loaded.Clear();
    }

    /// <summary>Takes the version out of service once the next snapshot is published; it drains in the background, then its status goes.</summary>
    private void Retire(ModelEntry entry, ServedModelVersion version)
    {
        entry.Unloading[version] = time.GetUtcNow();
        _retiring.RemoveAll(t => t.IsCompleted);
        _retiring.Add(DrainAsync(entry, version));
    }

    private async Task DrainAsync(ModelEntry entry, ServedModelVersion version)
    {
        await Task.Yield(); // after the snapshot without it is published (the caller publishes under the lock)
        await _gate.WaitAsync().ConfigureAwait(false);
        _gate.Release();
        try
        {
            // Disposing runs code the server has not run before the first swap (full JIT, tiered
            // compilation is off) and frees the sessions: on a thread of its own, like loading.
            await version.DrainAsync().ConfigureAwait(false);
            await OwnThread.Switch($"retire-{entry.Name}-{version.Version}");
            await version.Scheduler.DisposeAsync().ConfigureAwait(false);
            await OwnThread.Switch($"trim-{entry.Name}-{version.Version}"); // disposing may end on another thread
            OwnThread.ReleaseFreedNativeMemory(); // the sessions' memory back to the system
        }
        catch (Exception ex)
        {
            LogRetireFailed(_logger, ex, entry.Name, version.Version);
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            entry.Unloading.Remove(version);
            if (!entry.Loaded.ContainsKey(version.Version))
            {
                metrics.ForgetVersion(entry.Name, version.Version); // dashboards show live versions only
            }

            if (!_stopping.IsCancellationRequested)
            {
                Publish();
            }
        }
        finally
        {
            _gate.Release();
        }

        LogRetired(_logger, entry.Name, version.Version);
    }

    /// <summary>Publishes every model as it stands (called under the lock), and sets the state metrics.</summary>
    private void Publish()
    {
        var served = new List<ServedModel>();
        foreach (var entry in _models.Values)
        {
            var statuses = Statuses(entry);
            var versions = entry.Loaded.Values.Select(l => l.Version).OrderBy(v => long.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            if (versions.Count == 0 && statuses.Count == 0 && entry.PolicyProblem is null)
            {
                continue;
            }

            var labels = entry.EffectiveLabels;
            var traffic = entry.EffectiveTraffic;
            var shadow = entry.EffectiveShadow;
            var defaultVersion = entry.Policy.DefaultVersion;
            served.Add(new ServedModel(entry.Name, versions, live => new ModelRouting(live, labels, traffic, shadow, defaultVersion), statuses));
            SetStateMetrics(entry, statuses);
        }

        registry.Publish(served);
    }

    private List<VersionStatus> Statuses(ModelEntry entry)
    {
        var statuses = new List<VersionStatus>();
        foreach (var (version, loaded) in entry.Loaded)
        {
            var detail = entry.PolicyProblem is { } problem ? $"serving; the model's config.json is not valid now: {problem}" : "serving";
            statuses.Add(new VersionStatus(version, VersionState.Available, detail, loaded.Since));
        }

        foreach (var (version, since) in entry.Loading)
        {
            statuses.Add(new VersionStatus(version, VersionState.Loading, "loading and warming", since));
        }

        foreach (var (version, failed) in entry.Failed)
        {
            statuses.Add(new VersionStatus(version, VersionState.Failed, failed.Reason, failed.Since));
        }

        foreach (var (version, since) in entry.Unloading)
        {
            statuses.Add(new VersionStatus(version.Version, VersionState.Unloading, $"finishing {version.Leases} requests, then disposed", since));
        }

        if (entry.PolicyProblem is { } policyProblem && entry.Loaded.Count == 0)
        {
            statuses.Add(new VersionStatus("", VersionState.Failed, policyProblem, time.GetUtcNow()));
        }

        return statuses.OrderBy(s => s.Version.Length).ThenBy(s => s.Version, StringComparer.Ordinal).ToList();
    }

    private void SetStateMetrics(ModelEntry entry, List<VersionStatus> statuses)
    {
        foreach (var status in statuses.Where(s => s.Version.Length > 0))
        {
            foreach (var state in Enum.GetValues<VersionState>())
            {
                metrics.ModelState.WithLabels(entry.Name, status.Version, StateLabel(state)).Set(state == status.State ? 1 : 0);
            }

            metrics.ModelReady.WithLabels(entry.Name, status.Version).Set(status.State == VersionState.Available ? 1 : 0);
        }
    }

    private void ForgetMetrics(ModelEntry entry)
    {
        foreach (var labels in metrics.ModelState.GetAllLabelValues().Where(l => l[0] == entry.Name).ToList())
        {
            metrics.ModelState.RemoveLabelled(labels);
        }
    }

    internal static string StateLabel(VersionState state) => state.ToString().ToLowerInvariant();

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Model} v{Version} in {Milliseconds:0} ms")]
    private static partial void LogLoaded(ILogger logger, string model, string version, double milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model {Model} v{Version} was not loaded; what served before keeps serving: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string model, string version, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retiring {Model} v{Version}: no new requests, draining")]
    private static partial void LogRetiring(ILogger logger, string model, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retired {Model} v{Version}: sessions disposed")]
    private static partial void LogRetired(ILogger logger, string model, string version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retiring {Model} v{Version} failed")]
    private static partial void LogRetireFailed(ILogger logger, Exception ex, string model, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} is gone from the repository: its versions retire")]
    private static partial void LogModelRemoved(ILogger logger, string model);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model repository {Root} cannot be read: {Problem}")]
    private static partial void LogRepositoryUnreadable(ILogger logger, string root, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Polling the model repository failed; trying again at the next interval")]
    private static partial void LogPollFailed(ILogger logger, Exception ex);
}
