namespace Serving.Execution;

/// <summary>Whether a model version's pool on a device serves, and why not when it does not.</summary>
public sealed record DeviceStatus(string Device, bool Available, string Detail);
