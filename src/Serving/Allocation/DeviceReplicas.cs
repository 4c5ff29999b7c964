namespace Serving.Allocation;

/// <summary>One device pool's replicas as the controller sees them.</summary>
/// <param name="Device"><c>cpu</c> or <c>gpu</c>.</param>
/// <param name="Active">Replicas allowed to execute now.</param>
/// <param name="Loaded">Replicas created at start: the most that can be active.</param>
public sealed record DeviceReplicas(string Device, int Active, int Loaded);
