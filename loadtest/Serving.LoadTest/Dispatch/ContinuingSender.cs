namespace Serving.LoadTest.Dispatch;

/// <summary>
/// One sender for the runs of a search that carries on through the request pool: after
/// <see cref="NextRun"/> a run's request 0 is the one after the last request the previous run sent,
/// not the pool's first. Every run numbers its requests from 0, so without it every step of a
/// search opened with the same requests: a pool whose first hundred requests hold two
/// 1,024-candidate ones close together opened every step with the same burst, and one late call
/// in a step's first second failed step after step.
/// </summary>
internal sealed class ContinuingSender(IRequestSender inner) : IRequestSender
{
    private long _offset;
    private long _sentEnd; // one past the highest sequence the current run sent

    /// <summary>Where the current run's request 0 falls in the pool's sequence.</summary>
    public long Offset => Interlocked.Read(ref _offset);

    /// <summary>Starts the next run after the last request of this one (call between runs, not during one).</summary>
    public void NextRun()
    {
        Interlocked.Add(ref _offset, Interlocked.Exchange(ref _sentEnd, 0));
    }

    public int RowsOf(long sequence) => inner.RowsOf(Offset + sequence);

    public Task<string> SendAsync(long sequence, CancellationToken cancellationToken)
    {
        var end = sequence + 1;
        var seen = Interlocked.Read(ref _sentEnd);
        while (end > seen)
        {
            var previous = Interlocked.CompareExchange(ref _sentEnd, end, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }

        return inner.SendAsync(Offset + sequence, cancellationToken);
    }
}
