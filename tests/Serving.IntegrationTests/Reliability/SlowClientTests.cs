using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;
using Serving.Admission;
using Serving.Contracts.Ranking.V1;
using Xunit.Abstractions;

namespace Serving.IntegrationTests.Reliability;

/// <summary>
/// A fixed in-flight limit of 16 (the minimum raised to the maximum), so the slow connection's 32
/// streams would fill it twice over if a stream whose body is still arriving held a slot.
/// </summary>
public sealed class SlowClientServer : ConfiguredServer
{
    public const int InFlightLimit = 16;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:MinInFlightRequests"] = $"{InFlightLimit}",
        ["Serving:MaxInFlightRequests"] = $"{InFlightLimit}",
    };
}

/// <summary>
/// One HTTP/2 connection opens many gRPC Rank streams and trickles their bodies a few bytes at a
/// time, holding them open: callers on other connections must still get OK (the issue saw every
/// other call refused with <c>ingress_limit</c>, the slots taken before the bodies were read).
/// When the trickles are let go they end cleanly: scored, refused, or reset by the server, and the
/// server keeps serving.
/// </summary>
public class SlowClientTests(SlowClientServer fixture, ITestOutputHelper output) : IClassFixture<SlowClientServer>
{
    private const string Model = "criteo-deepfm";
    private const int Trickles = 2 * SlowClientServer.InFlightLimit;
    private const int BytesPerStep = 3;
    private const int Callers = 4;
    private const int CallsPerCallerPerRound = 10;
    private const int Rounds = 3;

    [Fact]
    public async Task Trickling_streams_on_one_connection_hold_no_slot_and_callers_on_other_connections_get_ok()
    {
        var server = fixture.Server;
        var gate = server.Services.GetRequiredService<AdmissionGate>();
        var trickled = Requests.Synthetic(Model, 10, seed: 41);
        var framed = GrpcFrame(trickled.ToByteArray());
        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false, // every trickle on the one connection
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var slow = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
        var bodies = Enumerable.Range(0, Trickles).Select(_ => new TricklingContent(framed, BytesPerStep)).ToList();
        var trickles = bodies.Select(body => SendTrickle(slow, server.GrpcPort, body)).ToList();
        var ok = new List<RankResponse>();
        try
        {
            await Task.WhenAll(bodies.Select(b => b.FirstBytesSent)).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(1, connections);

            // Meanwhile four callers on the fixture's own connection make their calls, and between
            // rounds each trickle sends a few more bytes.
            for (var round = 0; round < Rounds; round++)
            {
                var answered = await Task.WhenAll(Enumerable.Range(0, Callers).Select(async caller =>
                {
                    var responses = new List<RankResponse>();
                    for (var i = 0; i < CallsPerCallerPerRound; i++)
                    {
                        var request = Requests.Synthetic(Model, 10, seed: 1000 + (round * 100) + (caller * 10) + i);
                        responses.Add(await server.Client.RankAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30))));
                    }

                    return responses;
                }));
                ok.AddRange(answered.SelectMany(r => r));
                await Task.WhenAll(bodies.Select(b => b.StepAsync())).WaitAsync(TimeSpan.FromSeconds(30));
            }

            // The trickles are still open, and none of them is in the gate.
            Assert.All(trickles, t => Assert.False(t.IsCompleted, "a trickle ended before its body was complete"));
            Assert.Equal(0, gate.InFlight);
        }
        finally
        {
            bodies.ForEach(b => b.ReleaseAll());
        }

        var endings = await Task.WhenAll(trickles).WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var group in endings.GroupBy(e => e.Split(':')[0]))
        {
            output.WriteLine($"trickles ended {group.Key}: {group.Count()} (e.g. {group.First()})");
        }

        output.WriteLine($"{ok.Count} calls on the other connection, all OK; connections opened by the slow client: {connections}");

        // Every other caller got its scores (a refusal would have thrown above); spot-check them.
        Assert.Equal(Rounds * Callers * CallsPerCallerPerRound, ok.Count);
        Assert.All(ok, r => Assert.Equal(10, r.Scores.Count));
        var first = Requests.Synthetic(Model, 10, seed: 1000);
        Assert.All(OnnxReference.Score(Model, first).Zip(ok.Single(r => r.RequestId == first.RequestId).Scores), p => Assert.InRange(p.Second, p.First - 1e-5f, p.First + 1e-5f));

        // Each trickle ended cleanly: scored (correctly), refused with a status, or reset by the server; never a server error.
        var expected = OnnxReference.Score(Model, trickled);
        foreach (var ending in endings)
        {
            Assert.True(
                ending == "ok" || ending.StartsWith("refused:", StringComparison.Ordinal) || ending.StartsWith("reset:", StringComparison.Ordinal),
                ending);
        }

        Assert.All(bodies.Where(b => b.Scores is not null), b => Assert.All(expected.Zip(b.Scores!), p => Assert.InRange(p.Second, p.First - 1e-5f, p.First + 1e-5f)));
        Assert.Equal(1, connections);
        using var healthz = await server.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest())).Status);
        Assert.Equal(10, (await server.Client.RankAsync(Requests.Synthetic(Model, 10, seed: 42))).Scores.Count);
        Assert.Equal(0, gate.InFlight);
    }

    /// <summary>Sends one gRPC Rank as raw HTTP/2 with the trickling body; says how it ended: ok, refused: STATUS, reset: why.</summary>
    private static async Task<string> SendTrickle(HttpClient client, int port, TricklingContent body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/serving.ranking.v1.RankingService/Rank")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = body,
        };
        request.Headers.TE.ParseAdd("trailers");
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var payload = await response.Content.ReadAsByteArrayAsync();
            var status = Header(response.TrailingHeaders, "grpc-status") ?? Header(response.Headers, "grpc-status");
            if (response.StatusCode != HttpStatusCode.OK || status is null)
            {
                return $"http {(int)response.StatusCode} without a gRPC status";
            }

            if (status != "0")
            {
                var code = (StatusCode)int.Parse(status, System.Globalization.CultureInfo.InvariantCulture);
                var message = Uri.UnescapeDataString(Header(response.TrailingHeaders, "grpc-message") ?? Header(response.Headers, "grpc-message") ?? "");
                return code is StatusCode.ResourceExhausted or StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled
                    ? $"refused:{code} {message}"
                    : $"error:{code} {message}";
            }

            body.Scores = [.. RankResponse.Parser.ParseFrom(payload.AsSpan(5).ToArray()).Scores];
            return "ok";
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return $"reset: {ex.GetType().Name} {ex.Message}";
        }
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>A gRPC length-prefixed message: not compressed, 4-byte big-endian length, the bytes.</summary>
    private static byte[] GrpcFrame(byte[] message)
    {
        var framed = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }

    /// <summary>
    /// A request body sent a few bytes at a time: the first bytes at once, then a step each time
    /// the test asks (<see cref="StepAsync"/>), the rest when it lets go (<see cref="ReleaseAll"/>).
    /// Its semaphore is left to the collector: the test may still step a body whose request the
    /// client has disposed (a stream the server reset).
    /// </summary>
    private sealed class TricklingContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly int _step;
        private readonly SemaphoreSlim _go = new(0);
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _stepped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _all;

        public TricklingContent(byte[] body, int step)
        {
            _body = body;
            _step = step;
            Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        }

        public Task FirstBytesSent => _first.Task;

        public float[]? Scores { get; set; }

        /// <summary>Sends the next few bytes; completes once they are flushed (or the stream is gone).</summary>
        public Task StepAsync()
        {
            var stepped = Volatile.Read(ref _stepped);
            _go.Release();
            return stepped.Task;
        }

        public void ReleaseAll()
        {
            _all = true;
            _go.Release();
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var sent = 0;
            try
            {
                sent = await SendAsync(stream, sent, _step, cancellationToken);
                _first.TrySetResult();
                while (sent < _body.Length)
                {
                    await _go.WaitAsync(cancellationToken);
                    sent = await SendAsync(stream, sent, _all ? _body.Length - sent : _step, cancellationToken);
                    Interlocked.Exchange(ref _stepped, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                }
            }
            finally
            {
                _first.TrySetResult();
                _stepped.TrySetResult(); // a stream the server reset ends every wait on it
            }
        }

        private async Task<int> SendAsync(Stream stream, int sent, int count, CancellationToken cancellationToken)
        {
            count = Math.Min(count, _body.Length - sent);
            await stream.WriteAsync(_body.AsMemory(sent, count), cancellationToken);
            await stream.FlushAsync(cancellationToken);
            return sent + count;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
