namespace Serving.Registry;

/// <summary>What went wrong with a model control call.</summary>
public enum ControlError
{
    /// <summary>No such model or version in the repository.</summary>
    NotFound,

    /// <summary>The call's arguments are wrong (a label that is a number, a negative weight, …).</summary>
    InvalidArgument,

    /// <summary>The version could not be loaded, or the call names a version that is not live.</summary>
    FailedPrecondition,
}

/// <summary>A model control call that could not be carried out; the message says why.</summary>
public sealed class ModelControlException(ControlError error, string message) : Exception(message)
{
    public ControlError Error { get; } = error;
}
