namespace Serving.Allocation;

/// <summary>The models the controller steers, as they are now.</summary>
public interface IControlledModelSource
{
    IReadOnlyList<IControlledModel> Models { get; }
}
