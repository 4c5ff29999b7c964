using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Transport;

/// <summary>Sends one pre-built request and reports the outcome as a status label (<see cref="StatusLabels"/>).</summary>
internal interface IRankTransport : IDisposable
{
    /// <summary>Completes when the response (or error) arrives; never throws for server-side errors.</summary>
    Task<string> SendAsync(PooledRequest request, CancellationToken cancellationToken);
}
