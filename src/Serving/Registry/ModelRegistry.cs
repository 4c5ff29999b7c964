using System.Collections.Frozen;

namespace Serving.Registry;

/// <summary>The served models, by name: what requests resolve against. Empty until the loader has loaded and warmed every model.</summary>
public sealed class ModelRegistry : IAsyncDisposable
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FrozenDictionary<string, ServedModel> _models = FrozenDictionary<string, ServedModel>.Empty;

    /// <summary>True once every model in the repository is loaded and warmed (false again once disposed).</summary>
    public bool Ready { get; private set; }

    /// <summary>Completes when the models are first published.</summary>
    public Task WhenReady => _ready.Task;

    public IEnumerable<ServedModel> Models => _models.Values.OrderBy(m => m.Name, StringComparer.Ordinal);

    public ServedModel? Find(string name) => _models.GetValueOrDefault(name);

    /// <summary>Publishes the loaded models; called once by the loader.</summary>
    public void Publish(IEnumerable<ServedModel> models)
    {
        _models = models.ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);
        Ready = true;
        _ready.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        Ready = false;
        var models = _models;
        _models = FrozenDictionary<string, ServedModel>.Empty;
        foreach (var model in models.Values)
        {
            foreach (var version in model.Versions)
            {
                await version.Scheduler.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
