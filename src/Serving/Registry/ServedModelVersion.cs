using Serving.Batching;
using Serving.Execution;
using Serving.Models;

namespace Serving.Registry;

/// <summary>
/// One loaded version of a model: its spec, the batcher that gets its rows scored, and its device
/// pools. Requests hold a lease on it (<see cref="TryAcquire"/>) for as long as they use it; a
/// retired version takes no new lease, and its sessions are disposed only once the last lease is
/// released, so a swap never fails a request or pulls a session from under it.
/// </summary>
public sealed class ServedModelVersion(ModelSpec spec, string version, string modelPath, BatchScheduler scheduler, IReadOnlyList<DevicePool> pools, IReadOnlyList<DeviceStatus> devices, Telemetry.VersionMetrics metrics)
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private int _retired;

    public ModelSpec Spec { get; } = spec;
    public string Version { get; } = version;
    public string ModelPath { get; } = modelPath;
    public BatchScheduler Scheduler { get; } = scheduler;

    /// <summary>The version's metric children (labels model and version).</summary>
    public Telemetry.VersionMetrics Metrics { get; } = metrics;

    /// <summary>The device pools the version runs on (CPU always; GPU when available).</summary>
    public IReadOnlyList<DevicePool> Pools { get; } = pools;

    /// <summary>Each configured device's state, including devices that could not be used and why.</summary>
    public IReadOnlyList<DeviceStatus> Devices { get; } = devices;

    /// <summary>Session replicas the version holds (every device): what the resource budget counts.</summary>
    public int Sessions => Pools.Sum(p => p.LoadedReplicas);

    /// <summary>Requests using the version now.</summary>
    public int Leases => Volatile.Read(ref _leases);

    /// <summary>True once retired: it takes no new request.</summary>
    public bool Retired => Volatile.Read(ref _retired) == 1;

    /// <summary>Takes a lease for one request; false once the version is retired (resolve again: a newer snapshot has its successor).</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (Volatile.Read(ref _retired) == 1)
        {
            Release();
            return false;
        }

        return true;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) == 1)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>
    /// Takes no new requests, waits for those that hold a lease (queued and running work included)
    /// to finish, then disposes the batcher and the sessions.
    /// </summary>
    public async Task RetireAsync()
    {
        await DrainAsync().ConfigureAwait(false);
        await Scheduler.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Takes no new requests and completes once the last lease is released (the batcher and sessions are left to the caller to dispose).</summary>
    public Task DrainAsync()
    {
        // Flag first, then read the count (both interlocked): a request either sees the flag, or
        // its lease is counted here.
        Interlocked.Exchange(ref _retired, 1);
        if (Volatile.Read(ref _leases) == 0)
        {
            _drained.TrySetResult();
        }

        return _drained.Task;
    }
}
