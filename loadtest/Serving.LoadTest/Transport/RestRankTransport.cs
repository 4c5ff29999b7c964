using System.Net.Http.Headers;
using Serving.LoadTest.Requests;

namespace Serving.LoadTest.Transport;

/// <summary>
/// REST client: <c>POST /v1/models/{model}:rank</c> with the pre-serialised JSON body. Counts outcomes
/// by HTTP status code; the body of every response is read so connections are reused.
/// </summary>
internal sealed class RestRankTransport : IRankTransport
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly HttpClient _http;
    private readonly Uri _rankUri;
    private readonly TimeSpan? _timeout;

    public RestRankTransport(Uri target, string model, TimeSpan? timeout)
    {
        ArgumentNullException.ThrowIfNull(target);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            MaxConnectionsPerServer = int.MaxValue,
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _rankUri = new Uri(target, $"/v1/models/{Uri.EscapeDataString(model)}:rank");
        _timeout = timeout;
    }

    public async Task<string> SendAsync(PooledRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = request.JsonBody ?? throw new InvalidOperationException("REST requests need pre-serialised JSON bodies.");
        using var timeout = _timeout is { } limit ? CancelAfter(limit, cancellationToken) : null;
        var token = timeout?.Token ?? cancellationToken;
        try
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = JsonType;
            using var message = new HttpRequestMessage(HttpMethod.Post, _rankUri) { Content = content };
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
            return StatusLabels.ForHttp((int)response.StatusCode);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return StatusLabels.ClientTimeout;
        }
        catch (HttpRequestException)
        {
            return StatusLabels.ConnectionError;
        }
    }

    public void Dispose() => _http.Dispose();

    private static CancellationTokenSource CancelAfter(TimeSpan limit, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(limit);
        return source;
    }
}
