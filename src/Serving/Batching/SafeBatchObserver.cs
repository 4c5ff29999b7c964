using Microsoft.Extensions.Logging;

namespace Serving.Batching;

/// <summary>
/// Passes the batcher's reports on, and logs instead of throwing when the observer fails: a
/// metrics fault must never fail a request, lose a batch that was being dispatched, or stop the
/// dispatch loop.
/// </summary>
internal sealed class SafeBatchObserver(IBatchObserver inner, ILogger logger) : IBatchObserver
{
    public void Rejected(string reason)
    {
        try
        {
            inner.Rejected(reason);
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
    }

    public void DeadlineExceeded()
    {
        try
        {
            inner.DeadlineExceeded();
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
    }

    public void QueuedRows(int rows)
    {
        try
        {
            inner.QueuedRows(rows);
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
    }

    public void SliceQueued(string device, TimeSpan queued)
    {
        try
        {
            inner.SliceQueued(device, queued);
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
    }

    private void Failed(Exception ex) => logger.LogError(ex, "The batch observer failed; the batcher carries on");
}
