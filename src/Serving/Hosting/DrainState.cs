namespace Serving.Hosting;

/// <summary>
/// Counts calls in flight and, once draining has begun, refuses new ones: readiness turns false
/// and <see cref="DrainService"/> waits for the count to reach zero.
/// </summary>
public sealed class DrainState
{
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private volatile bool _draining;

    public bool Draining => _draining;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Counts a call in; false when draining (the caller must refuse the call).</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_draining)
        {
            Exit();
            return false;
        }

        return true;
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _draining)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>Starts draining; completes when no call is in flight.</summary>
    public Task BeginDrain()
    {
        _draining = true;
        if (Volatile.Read(ref _inFlight) == 0)
        {
            _idle.TrySetResult();
        }

        return _idle.Task;
    }
}
