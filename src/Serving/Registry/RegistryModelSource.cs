using Serving.Allocation;

namespace Serving.Registry;

/// <summary>The allocator's view of the served models (empty until they are loaded).</summary>
internal sealed class RegistryModelSource(ModelRegistry registry) : IControlledModelSource
{
    private List<IControlledModel> _models = [];
    private object? _publishedFrom;

    public IReadOnlyList<IControlledModel> Models
    {
        get
        {
            // The registry publishes once; rebuild the adapters only when its set of models changes.
            var served = registry.Models.ToList();
            var key = served.Count == 0 ? null : served[0];
            if (served.Count != _models.Count || !ReferenceEquals(key, _publishedFrom))
            {
                _models = served.Select(m => (IControlledModel)new ServedModelControl(m)).ToList();
                _publishedFrom = key;
            }

            return _models;
        }
    }
}
