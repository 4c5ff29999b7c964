using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Dispatch;

/// <summary>Sends the request with a given sequence number; the dispatcher's only view of the workload and transport.</summary>
internal interface IRequestSender
{
    /// <summary>Rows (candidates) carried by request <paramref name="sequence"/>.</summary>
    int RowsOf(long sequence);

    /// <summary>Sends request <paramref name="sequence"/> and returns its status label.</summary>
    Task<string> SendAsync(long sequence, CancellationToken cancellationToken);
}

/// <summary>Sends pooled requests round-robin over a transport.</summary>
internal sealed class PooledRequestSender(RequestPool pool, IRankTransport transport) : IRequestSender
{
    public int RowsOf(long sequence) => pool.Get(sequence).CandidateCount;

    public Task<string> SendAsync(long sequence, CancellationToken cancellationToken) =>
        transport.SendAsync(pool.Get(sequence), cancellationToken);
}
