using System.Collections.Frozen;

namespace Serving.Registry;

/// <summary>
/// The served models, by name: what requests resolve against. Each publish replaces the whole
/// set at once (a snapshot), so a request sees either the old versions or the new ones, never a
/// mixture. Requests lease the version they resolve (<see cref="Acquire"/>).
/// </summary>
public sealed class ModelRegistry
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FrozenDictionary<string, ServedModel> _models = FrozenDictionary<string, ServedModel>.Empty;
    private int _generation;
    private TaskCompletionSource _published = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the first load of the repository has been published (false again once stopped).</summary>
    public bool Ready { get; private set; }

    /// <summary>Completes when the models are first published.</summary>
    public Task WhenReady => _ready.Task;

    /// <summary>Counts publishes: a reader that adapts the models (the allocator) rebuilds when it changes.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Completes at the next publish (or clear): read it before checking the state it should change.</summary>
    public Task NextPublication => Volatile.Read(ref _published).Task;

    public IEnumerable<ServedModel> Models => Volatile.Read(ref _models).Values.OrderBy(m => m.Name, StringComparer.Ordinal);

    public ServedModel? Find(string name) => Volatile.Read(ref _models).GetValueOrDefault(name);

    /// <summary>Replaces the served models at once.</summary>
    public void Publish(IEnumerable<ServedModel> models)
    {
        Volatile.Write(ref _models, models.ToFrozenDictionary(m => m.Name, StringComparer.Ordinal));
        Interlocked.Increment(ref _generation);
        Ready = true;
        _ready.TrySetResult();
        Interlocked.Exchange(ref _published, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Stops serving: nothing resolves any more (the lifecycle retires the versions).</summary>
    public void Clear()
    {
        Ready = false;
        Volatile.Write(ref _models, FrozenDictionary<string, ServedModel>.Empty);
        Interlocked.Increment(ref _generation);
        Interlocked.Exchange(ref _published, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>
    /// Resolves a request to a live version and leases it: by version number or label, or (empty)
    /// by the model's split, sticky per <paramref name="requestId"/>. A version retired between the
    /// lookup and the lease is looked up again in the newer snapshot.
    /// </summary>
    public Resolution Acquire(string model, string versionOrLabel, string requestId)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (Find(model) is not { } served)
            {
                return Resolution.Failed(ResolveError.ModelNotFound, null);
            }

            var version = versionOrLabel.Length == 0 ? served.Routing.Route(requestId) : served.Find(versionOrLabel);
            if (version is null)
            {
                return Resolution.Failed(served.Versions.Count == 0 ? ResolveError.NoVersionServing : ResolveError.VersionNotFound, served);
            }

            if (version.TryAcquire())
            {
                return new Resolution(version, served, ResolveError.None);
            }
        }

        return Resolution.Failed(ResolveError.NoVersionServing, Find(model));
    }
}

/// <summary>Why a request resolved to no version.</summary>
public enum ResolveError
{
    None,
    ModelNotFound,
    VersionNotFound,

    /// <summary>The model is known but no version of it is live (all failed to load, or still loading).</summary>
    NoVersionServing,
}

/// <summary>A request's version, leased (release it when done), or why there is none.</summary>
public readonly record struct Resolution(ServedModelVersion? Version, ServedModel? Model, ResolveError Error)
{
    public static Resolution Failed(ResolveError error, ServedModel? model) => new(null, model, error);
}
