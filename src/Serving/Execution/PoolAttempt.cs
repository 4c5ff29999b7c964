using Serving.Batching;

namespace Serving.Execution;

/// <summary>
/// One try of a batch on a device pool: the batch, and whether it may still start and write its
/// scores. A batch abandoned on one pool (a GPU timeout) may be tried again on another, so the
/// state belongs to the try, not to the batch.
/// </summary>
internal sealed class PoolAttempt(Batch batch, long enqueuedTimestamp)
{
    private const int Pending = 0, Running = 1, Abandoned = 2, Scattering = 3;
    private int _state;

    public Batch Batch { get; } = batch;
    public long EnqueuedTimestamp { get; } = enqueuedTimestamp;
    public CancellationTokenRegistration Registration { get; set; }
    public TaskCompletionSource<BatchExecution> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Takes a hold on every slice's rows, then moves to running. False (and no hold) when the try
    /// was abandoned first or the rows already went back to the pool: the batch must not be read.
    /// The hold comes first so that the rows cannot be returned between the two.
    /// </summary>
    public bool TryStart()
    {
        var slices = Batch.Slices;
        for (var i = 0; i < slices.Count; i++)
        {
            if (!slices[i].Source.TryAddReader())
            {
                Release(i);
                return false;
            }
        }

        if (Interlocked.CompareExchange(ref _state, Running, Pending) != Pending)
        {
            Release(slices.Count);
            return false;
        }

        return true;
    }

    /// <summary>Ends the hold <see cref="TryStart"/> took, once the session no longer reads the rows.</summary>
    public void Finish() => Release(Batch.Slices.Count);

    /// <summary>True once the scores were claimed for writing back (<see cref="TryClaimScatter"/>): this try, not an abandoned one, wrote them.</summary>
    public bool Scattered => Volatile.Read(ref _state) == Scattering;

    /// <summary>True when the scores may still be written back (the batch was not abandoned meanwhile).</summary>
    public bool TryClaimScatter() => Interlocked.CompareExchange(ref _state, Scattering, Running) == Running;

    /// <summary>True once the try was abandoned (a timeout, the caller gone): its scores are not written, and it has no result.</summary>
    public bool WasAbandoned => Volatile.Read(ref _state) == Abandoned;

    /// <summary>
    /// Ends a run that returned: the result, unless the try was abandoned meanwhile. The abandoning
    /// thread moves the state first and cancels <see cref="Completion"/> after it, so a session that
    /// finished in between (it saw the abandon and wrote no scores) must not set a result there:
    /// the batcher would hand scores that were never written to its callers.
    /// </summary>
    public void Complete(BatchExecution execution)
    {
        if (!WasAbandoned)
        {
            Completion.TrySetResult(execution);
        }
    }

    public void Abandon(CancellationToken token)
    {
        if (MarkAbandoned())
        {
            Completion.TrySetCanceled(token);
        }
    }

    /// <summary>
    /// The first half of <see cref="Abandon"/>: from here on the try may not start or write scores.
    /// The cancellation of <see cref="Completion"/> follows it on the abandoning thread.
    /// </summary>
    internal bool MarkAbandoned() =>
        Interlocked.CompareExchange(ref _state, Abandoned, Pending) == Pending
        || Interlocked.CompareExchange(ref _state, Abandoned, Running) == Running;

    private void Release(int slices)
    {
        for (var i = 0; i < slices; i++)
        {
            Batch.Slices[i].Source.ReleaseReader();
        }
    }
}
