namespace Serving.Registry;

/// <summary>Where a model version is in its life.</summary>
public enum VersionState
{
    /// <summary>Being loaded and warmed; not yet taking requests.</summary>
    Loading,

    /// <summary>Serving.</summary>
    Available,

    /// <summary>Could not be loaded (see the detail); an earlier version keeps serving if there is one.</summary>
    Failed,

    /// <summary>Taking no new requests; finishing what it has, then its sessions are disposed.</summary>
    Unloading,
}

/// <summary>A version's state, why, and since when (for ListModels/GetModel, /readyz and metrics).</summary>
public sealed record VersionStatus(string Version, VersionState State, string Detail, DateTimeOffset Since);
