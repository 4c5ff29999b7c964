namespace Serving.Batching;

/// <summary>What the batcher reports as it works; the host wires it to metrics.</summary>
public interface IBatchObserver
{
    static IBatchObserver None { get; } = new NoObserver();

    void Rejected(string reason);

    void DeadlineExceeded();

    void QueuedRows(int rows);

    /// <summary>A slice's rows started computing on <paramref name="device"/> after waiting <paramref name="queued"/>.</summary>
    void SliceQueued(string device, TimeSpan queued);

    private sealed class NoObserver : IBatchObserver
    {
        public void SliceQueued(string device, TimeSpan queued)
        {
        }

        public void Rejected(string reason)
        {
        }

        public void DeadlineExceeded()
        {
        }

        public void QueuedRows(int rows)
        {
        }
    }
}
