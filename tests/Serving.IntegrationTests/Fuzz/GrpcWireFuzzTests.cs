using System.Buffers;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Serving.Contracts.Ranking.V1;
using Serving.Features.Wire;
using Serving.TestSupport.Wire;
using Xunit.Abstractions;

namespace Serving.IntegrationTests.Fuzz;

/// <summary>
/// 10,000 mutated gRPC Rank requests (<see cref="WireMutator"/>: structural and raw-byte
/// mutations of valid requests for the shipped models) sent as raw bytes through a real socket,
/// 16 at a time. Every answer must be one a hostile client may get (OK, INVALID_ARGUMENT naming
/// a field, NOT_FOUND, RESOURCE_EXHAUSTED), the server must log no error, and it must still
/// serve correctly afterwards.
/// </summary>
[Collection(FuzzedServer.Name)]
public class GrpcWireFuzzTests(FuzzServer fixture, ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int BaseSeed = 1_000_000;

    /// <summary>Rank with identity marshallers: the bytes reach the server exactly as mutated, and come back unparsed.</summary>
    private static readonly Method<byte[], byte[]> RawRank = new(
        MethodType.Unary, RankingService.Descriptor.FullName, "Rank",
        Marshallers.Create(b => b, b => b), Marshallers.Create(b => b, b => b));

    /// <summary>Case <paramref name="index"/>: its bytes and how they were made, from its seed alone (to replay a failure).</summary>
    public static (byte[] Bytes, string Description) Case(int index)
    {
        var seed = BaseSeed + index;
        var (random, valid, donor) = FuzzRequests.Draw(seed);
        var (bytes, mutations) = new WireMutator(random).Mutate(FuzzRequests.Pool[valid].ToByteArray(), FuzzRequests.Pool[donor].ToByteArray());
        return (bytes, $"case {index} (seed {seed}, GrpcWireFuzzTests.Case({index})): request {valid} of the pool ({FuzzRequests.Pool[valid].Model}), donor {donor}; {mutations}");
    }

    [Fact]
    public async Task Mutated_wire_requests_get_only_client_errors_and_the_server_keeps_serving()
    {
        var server = fixture.Server;
        var invoker = server.Channel.CreateCallInvoker();
        var run = new FuzzRun();

        await run.SendAsync(Cases, async i =>
        {
            var (bytes, description) = Case(i);
            // A generous deadline: a call's own deadline comes from its budget and the model's SLO.
            var call = invoker.AsyncUnaryCall(RawRank, null, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(1)), bytes);
            try
            {
                var response = RankResponse.Parser.ParseFrom(await call.ResponseAsync);
                run.Count("OK");
                var candidates = Read(bytes).CandidateCount;
                if (response.Scores.Count != candidates)
                {
                    run.Fail(i, $"{description}: OK with {response.Scores.Count} scores for {candidates} candidates");
                }
            }
            catch (RpcException ex)
            {
                run.Count(ex.StatusCode.ToString());
                if (Problem(ex, bytes) is { } problem)
                {
                    run.Fail(i, $"{description}: {problem}");
                }
            }
        });

        output.WriteLine($"{Cases} mutated gRPC requests in {run.Elapsed.TotalSeconds:F1} s ({FuzzRun.InFlight} in flight): {run.Answers}");
        run.AssertNoFailures(fixture.ErrorLog);
        await ServerHealth.AssertServingAsync(server);
    }

    /// <summary>What is wrong with an error answer, or null where a hostile client may get it.</summary>
    private string? Problem(RpcException ex, byte[] bytes)
    {
        switch (ex.StatusCode)
        {
            case StatusCode.InvalidArgument:
                var colon = ex.Status.Detail.IndexOf(':', StringComparison.Ordinal);
                var field = ex.Trailers.GetValue("field");
                return colon > 0 && field == ex.Status.Detail[..colon] ? null : $"INVALID_ARGUMENT names no field (trailer 'field' = '{field}'): {Shorten(ex.Status.Detail)}";
            case StatusCode.NotFound or StatusCode.ResourceExhausted:
                return null;
            case StatusCode.DeadlineExceeded when AskedForShortBudget(bytes):
                return null;
            default:
                return $"{ex.StatusCode}: {Shorten(ex.Status.Detail)}";
        }
    }

    /// <summary>
    /// DEADLINE_EXCEEDED is an answer a request can ask for: a mutation may set <c>budget_ms</c>
    /// to a few milliseconds. Otherwise the call's deadline is the model's SLO in the test copy
    /// (5 s, against a client deadline of a minute), and the batcher refuses what it predicts will
    /// miss (RESOURCE_EXHAUSTED), so a DEADLINE_EXCEEDED would mean the server stalled: a failure.
    /// </summary>
    private bool AskedForShortBudget(byte[] bytes)
    {
        var budget = Read(bytes).BudgetMs;
        return budget > 0 && budget < fixture.Server.SloP99Ms;
    }

    /// <summary>The top-level fields as the server reads them.</summary>
    private static (int CandidateCount, uint BudgetMs) Read(byte[] bytes)
    {
        using var wire = WireRankRequest.Read(new ReadOnlySequence<byte>(bytes));
        return (wire.CandidateCount, wire.BudgetMs);
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : $"{text[..300]}… ({text.Length} chars)";
}
