using Serving.Models;

namespace Serving.Registry;

// The model control API's commands: each runs under the same lock as the repository scans.
internal sealed partial class ModelLifecycle
{
    /// <summary>Loads a version from the repository beside what the policy serves; returns the model once it serves, throws with why when it cannot.</summary>
    public Task<ServedModel> LoadVersionAsync(string model, string version, CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var entry = await EntryAsync(model, cancellationToken).ConfigureAwait(false);
            if (!ModelFolder.FindVersions(entry.Folder).Contains(version))
            {
                throw new ModelControlException(ControlError.NotFound, $"model '{model}' has no version folder '{version}' with a {ModelFolder.ModelFileName} in the repository");
            }

            entry.Unloaded = false;
            entry.Excluded.Remove(version);
            entry.Pinned.Add(version);
            await SyncLockedAsync(model, cancellationToken).ConfigureAwait(false);
            return entry.Failed.TryGetValue(version, out var failed)
                ? throw new ModelControlException(ControlError.FailedPrecondition, $"{model} v{version} was not loaded (what served before keeps serving): {failed.Reason}")
                : Current(model);
        }, cancellationToken);

    /// <summary>Stops serving a version (empty: the whole model) until it is loaded again; it drains first.</summary>
    public Task<ServedModel> UnloadVersionAsync(string model, string version, CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var entry = await EntryAsync(model, cancellationToken).ConfigureAwait(false);
            if (version.Length == 0)
            {
                entry.Unloaded = true;
                entry.Pinned.Clear();
            }
            else
            {
                entry.Pinned.Remove(version);
                entry.Excluded.Add(version);
            }

            await SyncLockedAsync(model, cancellationToken).ConfigureAwait(false);
            return Current(model);
        }, cancellationToken);

    /// <summary>Replaces the labels (empty: back to the config's); every label must point at a live version.</summary>
    public Task<ServedModel> SetLabelsAsync(string model, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var entry = await EntryAsync(model, cancellationToken).ConfigureAwait(false);
            foreach (var (label, version) in labels)
            {
                if (string.IsNullOrWhiteSpace(label) || ModelConfigLoader.IsVersionNumber(label))
                {
                    throw new ModelControlException(ControlError.InvalidArgument, $"labels: a label must be a non-numeric name, got '{label}'");
                }

                if (!entry.Loaded.ContainsKey(version))
                {
                    throw new ModelControlException(ControlError.FailedPrecondition, $"labels.{label}: {model} has no live version '{version}' (live: {string.Join(", ", entry.Loaded.Keys.Order(StringComparer.Ordinal))})");
                }
            }

            entry.Labels = labels.Count == 0 ? null : new Dictionary<string, string>(labels, StringComparer.Ordinal);
            Publish();
            return Current(model);
        }, cancellationToken);

    /// <summary>Replaces the traffic split (empty: back to the config's); targets are live versions or labels.</summary>
    public Task<ServedModel> SetTrafficAsync(string model, IReadOnlyDictionary<string, double> weights, CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var entry = await EntryAsync(model, cancellationToken).ConfigureAwait(false);
            foreach (var (target, weight) in weights)
            {
                if (!(weight >= 0) || double.IsInfinity(weight))
                {
                    throw new ModelControlException(ControlError.InvalidArgument, $"weights.{target}: must be >= 0, got {weight}");
                }

                if (!IsLiveTarget(entry, target))
                {
                    throw new ModelControlException(ControlError.FailedPrecondition, $"weights.{target}: names neither a live version nor a label of {model}");
                }
            }

            if (weights.Count > 0 && weights.Values.Sum() <= 0)
            {
                throw new ModelControlException(ControlError.InvalidArgument, "weights: must not all be 0");
            }

            entry.Traffic = weights.Count == 0 ? null : new Dictionary<string, double>(weights, StringComparer.Ordinal);
            Publish();
            return Current(model);
        }, cancellationToken);

    /// <summary>Mirrors <paramref name="fraction"/> of the model's traffic to a live version or label; 0 turns the shadow off.</summary>
    public Task<ServedModel> SetShadowAsync(string model, string target, double fraction, CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            var entry = await EntryAsync(model, cancellationToken).ConfigureAwait(false);
            if (!(fraction is >= 0 and <= 1))
            {
                throw new ModelControlException(ControlError.InvalidArgument, $"fraction: must be in [0, 1], got {fraction}");
            }

            if (fraction > 0 && !IsLiveTarget(entry, target))
            {
                throw new ModelControlException(ControlError.FailedPrecondition, $"version: names neither a live version nor a label of {model}: '{target}'");
            }

            entry.ShadowSet = true;
            entry.Shadow = fraction > 0 ? new ShadowPolicy(target, fraction) : null;
            Publish();
            return Current(model);
        }, cancellationToken);

    /// <summary>Scans the whole repository now.</summary>
    public Task<IReadOnlyList<ServedModel>> RefreshAsync(CancellationToken cancellationToken) =>
        UnderLockAsync(async () =>
        {
            await SyncLockedAsync(only: null, cancellationToken).ConfigureAwait(false);
            return (IReadOnlyList<ServedModel>)registry.Models.ToList();
        }, cancellationToken);

    private async Task<T> UnderLockAsync<T>(Func<Task<T>> command, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await command().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The model's entry; a model folder not scanned yet is scanned first.</summary>
    private async Task<ModelEntry> EntryAsync(string model, CancellationToken cancellationToken)
    {
        if (!_models.ContainsKey(model) && Directory.Exists(Path.Combine(Root, model)))
        {
            await SyncLockedAsync(model, cancellationToken).ConfigureAwait(false);
        }

        return _models.TryGetValue(model, out var entry)
            ? entry
            : throw new ModelControlException(ControlError.NotFound, $"no model '{model}' in the repository ({Root})");
    }

    private static bool IsLiveTarget(ModelEntry entry, string target) =>
        entry.Loaded.ContainsKey(target) || (entry.EffectiveLabels.TryGetValue(target, out var version) && entry.Loaded.ContainsKey(version));

    private ServedModel Current(string model) =>
        registry.Find(model) ?? throw new ModelControlException(ControlError.NotFound, $"model '{model}' is not served");
}
