namespace Serving.Execution;

/// <summary>A fault injected by the chaos strategy on the accelerator pool (tests and game days only).</summary>
public sealed class InjectedGpuFaultException() : Exception("injected GPU fault (chaos testing)");
