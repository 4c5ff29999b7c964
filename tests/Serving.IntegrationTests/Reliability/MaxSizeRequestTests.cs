using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Serving.Api;
using Serving.Contracts.Ranking.V1;
using Xunit.Abstractions;

namespace Serving.IntegrationTests.Reliability;

/// <summary>
/// The server with its default request limits (Serving:MaxRequestBytes 4 MiB, 4,096 candidates)
/// and a fixed in-flight limit of 64, so every maximum-size call is let in and its memory counts.
/// </summary>
public sealed class DefaultLimitsServer : ConfiguredServer
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => new Dictionary<string, string?>
    {
        ["Serving:MinInFlightRequests"] = "64",
        ["Serving:MaxInFlightRequests"] = "64",
    };
}

/// <summary>Measures this process's memory: it runs alone, after the tests that run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredAlone : ICollectionFixture<DefaultLimitsServer>
{
    public const string Name = "memory";
}

/// <summary>
/// Many calls at once near the largest message the server accepts (4 MiB less 1 KiB: 4,096
/// candidates whose 26 categorical values are ~35 bytes long) and at the largest candidate count
/// with realistic values, with one call just over the byte limit and one just over the candidate
/// limit among them, all on one HTTP/2 connection, three rounds. Every call is answered (scores, or
/// a refusal carrying its details); the oversize one is refused with RESOURCE_EXHAUSTED and the
/// connection survives it; the in-process server's working set grows by less than a stated bound.
/// </summary>
[Collection(MemoryMeasuredAlone.Name)]
public class MaxSizeRequestTests(DefaultLimitsServer fixture, ITestOutputHelper output)
{
    private const string Model = "criteo-deepfm";
    private const int Candidates = 4096;
    private const int MaxRequestBytes = 4 * 1024 * 1024;
    private const int NearLimitCalls = 10;
    private const int MaxCandidateCalls = 10;
    private const int Rounds = 3;
    private const long MiB = 1024 * 1024;

    /// <summary>
    /// The bound on the working set's growth over its level before the rounds: four times the bytes
    /// of the near-limit calls in flight at once (each is held by the client, in Kestrel's request
    /// pipe and in the server's pooled copy) plus 256 MiB for the rest.
    /// </summary>
    private const long WorkingSetGrowthBound = (4L * NearLimitCalls * MaxRequestBytes) + (256 * MiB);

    [Fact]
    public async Task Concurrent_maximum_size_calls_are_all_answered_the_oversize_one_is_refused_on_a_connection_that_survives_and_memory_stays_bounded()
    {
        var server = fixture.Server;
        Assert.Equal(MaxRequestBytes, server.Services.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBytes); // the default
        var near = NearLimit(MaxRequestBytes - 1024, seed: 1);
        var over = NearLimit(MaxRequestBytes + 1, seed: 1);
        var realistic = Requests.Synthetic(Model, Candidates, seed: 2);
        var realisticBytes = realistic.ToByteArray();
        var tooMany = Requests.Synthetic(Model, Candidates + 1, seed: 3).ToByteArray();
        var nearExpected = OnnxReference.Score(Model, RankRequest.Parser.ParseFrom(near));
        var realisticExpected = OnnxReference.Score(Model, realistic);
        output.WriteLine($"near-limit call {near.Length:N0} bytes, oversize {over.Length:N0}, {Candidates} realistic candidates {realisticBytes.Length:N0} ({LargestRealistic()})");
        Assert.Equal(MaxRequestBytes + 1, over.Length);

        var connections = 0;
        using var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}", new GrpcChannelOptions { HttpHandler = handler });
        var invoker = channel.CreateCallInvoker();
        Task<Answer> Call(byte[] request) => Send(invoker, request);

        // Warm-up: the sessions, the pools and the client's paths see a large call once.
        Assert.Null((await Call(near)).Error);
        Assert.Null((await Call(realisticBytes)).Error);

        var baselineHeap = Collect();
        var baselineWorkingSet = Environment.WorkingSet;
        var heapAfter = new List<long>();
        var peaks = new List<long>();
        var answers = new Dictionary<string, List<Answer>> { ["near"] = [], ["realistic"] = [], ["over"] = [], ["too-many"] = [] };
        for (var round = 0; round < Rounds; round++)
        {
            using var peak = new PeakWorkingSet();
            var calls = new List<(string Kind, Task<Answer> Call)>();
            for (var i = 0; i < NearLimitCalls; i++)
            {
                calls.Add(("near", Call(near)));
                calls.Add(("realistic", Call(realisticBytes)));
                if (i == NearLimitCalls / 2)
                {
                    calls.Add(("over", Call(over)));
                    calls.Add(("too-many", Call(tooMany)));
                }
            }

            await Task.WhenAll(calls.Select(c => c.Call)).WaitAsync(TimeSpan.FromMinutes(3));
            peaks.Add(peak.Stop());
            heapAfter.Add(Collect());
            foreach (var (kind, call) in calls)
            {
                answers[kind].Add(await call);
            }
        }

        foreach (var (kind, list) in answers)
        {
            output.WriteLine($"{kind}: " + string.Join(", ", list.GroupBy(a => a.Describe()).Select(g => $"{g.Key} x{g.Count()}")));
        }

        output.WriteLine($"working set {baselineWorkingSet / MiB:N0} MiB before, peaks {string.Join(", ", peaks.Select(p => $"{p / MiB:N0}"))} MiB (bound: +{WorkingSetGrowthBound / MiB:N0} MiB); managed heap {baselineHeap / MiB:N0} MiB before, {string.Join(", ", heapAfter.Select(h => $"{h / MiB:N0}"))} MiB after each round (client's pooled copies included)");

        // Every call answered: scores (the right ones), or a refusal with its reason and when to retry.
        foreach (var (kind, expected) in new[] { ("near", nearExpected), ("realistic", realisticExpected) })
        {
            Assert.All(answers[kind], a => a.AssertScoredOrRefusedWithDetails(expected));
            Assert.Contains(answers[kind], a => a.Error is null);
        }

        // Just over the byte limit: grpc-dotnet's own RESOURCE_EXHAUSTED, before anything is parsed.
        Assert.All(answers["over"], a => Assert.Equal(StatusCode.ResourceExhausted, a.Error?.StatusCode));
        Assert.All(answers["over"], a => Assert.Contains("exceeds the maximum", a.Error!.Status.Detail, StringComparison.Ordinal));

        // Just over the candidate limit: INVALID_ARGUMENT naming the field.
        Assert.All(answers["too-many"], a =>
        {
            Assert.Equal(StatusCode.InvalidArgument, a.Error?.StatusCode);
            Assert.Equal("candidate_count", a.Error!.GetRpcStatus()!.GetDetail<Google.Rpc.BadRequest>().FieldViolations.Single().Field);
        });

        // The connection carried every call, the refused ones included.
        Assert.Equal(1, connections);

        Assert.True(peaks.Max() - baselineWorkingSet < WorkingSetGrowthBound, $"working set grew by {(peaks.Max() - baselineWorkingSet) / MiB:N0} MiB, bound {WorkingSetGrowthBound / MiB:N0} MiB");

        // The managed heap is reported, not bounded: the client in this process (grpc-dotnet copies
        // each message into a buffer from ArrayPool.Shared, 4 and 8 MiB here) keeps its pooled
        // copies. The server's own request buffers over 2 MiB are never pooled (RequestBuffersTests).

        // After all of it: one more call on the same connection, and the REST body limit answers a client error.
        Assert.Null((await Call(realisticBytes)).Error);
        Assert.Equal(1, connections);
        var (status, body) = await RawHttp.SendAsync(server.HttpPort, "POST", $"/v1/models/{Model}:rank", json: "{}", declaredLength: MaxRequestBytes + 1L);
        output.WriteLine($"REST body of {MaxRequestBytes + 1:N0} bytes declared: {status} {body}");
        Assert.True(status == 413 || (status == 400 && body.Contains("too large", StringComparison.OrdinalIgnoreCase)), $"REST oversize body: {status} {body}");
        using var healthz = await server.Http.GetAsync("/healthz");
        Assert.True(healthz.IsSuccessStatusCode);
    }

    /// <summary>
    /// A valid request of exactly <paramref name="bytes"/> bytes: 4,096 candidates, every dense
    /// feature, every categorical feature with values as long as fit, a request id to make up the rest.
    /// </summary>
    private static byte[] NearLimit(int bytes, int seed)
    {
        var spec = Requests.Spec(Model);
        var sparse = spec.Features.Count(f => f.Kind == Serving.Models.FeatureKind.Sparse);
        var dense = spec.Features.Count - sparse;
        var denseBytes = dense * ((Candidates * 4) + 16);
        var valueLength = ((bytes - denseBytes - (64 * 1024)) / (sparse * Candidates)) - 3; // a value costs its tag, 2 length bytes and itself
        var random = new Random(seed);
        var request = new RankRequest { Model = Model, CandidateCount = Candidates, Candidates = new RequestFeatures(), RequestId = "" };
        foreach (var feature in spec.Features)
        {
            if (feature.Kind == Serving.Models.FeatureKind.Sparse)
            {
                var column = new SparseColumn { Name = feature.Name };
                for (var i = 0; i < Candidates; i++)
                {
                    column.Values.Add(random.Next().ToString("x8", CultureInfo.InvariantCulture).PadRight(valueLength, 'v'));
                }

                request.Candidates.Sparse.Add(column);
            }
            else
            {
                var column = new DenseColumn { Name = feature.Name };
                for (var i = 0; i < Candidates; i++)
                {
                    column.Values.Add(random.Next(0, 200));
                }

                request.Candidates.Dense.Add(column);
            }
        }

        // Make up the difference with the request id (its length prefix grows with it: settle in a few steps).
        var missing = bytes - request.CalculateSize();
        Assert.InRange(missing, 16, 1024 * 1024);
        for (var padding = missing - 4; request.CalculateSize() != bytes; padding += bytes - request.CalculateSize())
        {
            request.RequestId = new string('r', padding);
        }

        return request.ToByteArray();
    }

    /// <summary>The largest requests a client would send for each shipped model at 4,096 candidates: 8-hex-digit values, or pre-hashed ids of the largest varint size.</summary>
    private static string LargestRealistic()
    {
        var sizes = new List<string>();
        foreach (var model in new[] { "criteo-deepfm", "avazu-dcn" })
        {
            var values = Requests.Synthetic(model, Candidates, seed: 9);
            foreach (var column in values.Candidates.Sparse)
            {
                for (var i = 0; i < column.Values.Count; i++)
                {
                    column.Values[i] = "abcdef01"; // none missing
                }
            }

            var ids = values.Clone();
            foreach (var column in ids.Candidates.Sparse)
            {
                column.Values.Clear();
                column.Ids.Add(Enumerable.Repeat(long.MinValue, Candidates)); // 10 bytes each
            }

            sizes.Add($"{model}: {values.CalculateSize():N0} bytes with 8-character values, {ids.CalculateSize():N0} with 64-bit ids");
        }

        return string.Join("; ", sizes);
    }

    /// <summary>The managed heap after a full, compacting collection.</summary>
    private static long Collect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task<Answer> Send(CallInvoker invoker, byte[] request)
    {
        var method = new Method<byte[], byte[]>(MethodType.Unary, "serving.ranking.v1.RankingService", "Rank", Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));
        try
        {
            var response = await invoker.AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(2)), request);
            return new Answer(RankResponse.Parser.ParseFrom(response), null);
        }
        catch (RpcException ex)
        {
            return new Answer(null, ex);
        }
    }

    private sealed record Answer(RankResponse? Response, RpcException? Error)
    {
        public string Describe() => Error is null ? "OK" : $"{Error.StatusCode} ({Error.Trailers.GetValue("reason") ?? "no reason"})";

        public void AssertScoredOrRefusedWithDetails(float[] expected)
        {
            if (Error is null)
            {
                Assert.Equal(expected.Length, Response!.Scores.Count);
                Assert.All(expected.Zip(Response.Scores), p => Assert.InRange(p.Second, p.First - 1e-5f, p.First + 1e-5f));
                return;
            }

            Assert.Equal(StatusCode.ResourceExhausted, Error.StatusCode);
            var status = Error.GetRpcStatus();
            Assert.NotNull(status);
            Assert.Contains(status.GetDetail<Google.Rpc.ErrorInfo>().Reason, new[] { "queue_full", "predicted_deadline_miss", "ingress_limit" });
            Assert.NotNull(status.GetDetail<Google.Rpc.RetryInfo>());
        }
    }

    /// <summary>Samples this process's working set every 10 ms on a thread of its own, until stopped.</summary>
    private sealed class PeakWorkingSet : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _peak = Environment.WorkingSet;

        public PeakWorkingSet()
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    _peak = Math.Max(_peak, Environment.WorkingSet);
                    Thread.Sleep(10); // sampling, not waiting for anything
                }
            })
            { IsBackground = true };
            _thread.Start();
        }

        public long Stop()
        {
            _stop = true;
            _thread.Join();
            return Math.Max(_peak, Environment.WorkingSet);
        }

        public void Dispose() => _stop = true;
    }
}
