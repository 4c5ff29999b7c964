using Serving.Allocation;

namespace Serving.Registry;

/// <summary>The allocator's view of the served models (empty until they are loaded).</summary>
internal sealed class RegistryModelSource(ModelRegistry registry) : IControlledModelSource
{
    private List<IControlledModel> _models = [];
    private int _generation = -1;

    public IReadOnlyList<IControlledModel> Models
    {
        get
        {
            // Rebuilt when the registry publishes (versions come and go): the controller follows the live versions.
            var generation = registry.Generation;
            if (generation != _generation)
            {
                _models = registry.Models.Where(m => m.Default is not null).Select(m => (IControlledModel)new ServedModelControl(m)).ToList();
                _generation = generation;
            }

            return _models;
        }
    }
}
