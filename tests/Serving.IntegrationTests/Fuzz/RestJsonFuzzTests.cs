using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google.Protobuf;
using Serving.Contracts.Ranking.V1;
using Xunit.Abstractions;

namespace Serving.IntegrationTests.Fuzz;

/// <summary>
/// 2,000 mutated JSON bodies (<see cref="JsonMutator"/>) posted to <c>POST /v1/models/{model}:rank</c>
/// over HTTP/1.1, 16 at a time. Every answer must be 200, 400, 404 or 429, the server must log no
/// error, and it must still serve correctly afterwards.
/// </summary>
[Collection(FuzzedServer.Name)]
public class RestJsonFuzzTests(FuzzServer fixture, ITestOutputHelper output)
{
    private const int Cases = 2_000;
    private const int BaseSeed = 2_000_000;

    /// <summary>Case <paramref name="index"/>: the model in the path, the body and how it was made, from its seed alone.</summary>
    public static (string Model, byte[] Body, string Description) Case(int index)
    {
        var seed = BaseSeed + index;
        var (random, valid, donor) = FuzzRequests.Draw(seed);
        var model = random.Next(10) == 0 ? "nope" : FuzzRequests.Pool[valid].Model;
        var (body, mutations) = new JsonMutator(random).Mutate(JsonFormatter.Default.Format(FuzzRequests.Pool[valid]), JsonFormatter.Default.Format(FuzzRequests.Pool[donor]));
        return (model, body, $"case {index} (seed {seed}, RestJsonFuzzTests.Case({index})): request {valid} of the pool to /v1/models/{model}:rank, donor {donor}; {mutations}");
    }

    [Fact]
    public async Task Mutated_json_bodies_get_only_client_errors_and_the_server_keeps_serving()
    {
        var server = fixture.Server;
        var run = new FuzzRun();

        await run.SendAsync(Cases, async i =>
        {
            var (model, body, description) = Case(i);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };

            using var response = await server.Http.PostAsync($"/v1/models/{model}:rank", content);

            var text = await response.Content.ReadAsStringAsync();
            run.Count(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
            if (Problem(response.StatusCode, text, body) is { } problem)
            {
                run.Fail(i, $"{description}: {problem}");
            }
        });

        output.WriteLine($"{Cases} mutated JSON bodies in {run.Elapsed.TotalSeconds:F1} s ({FuzzRun.InFlight} in flight): {run.Answers}");
        run.AssertNoFailures(fixture.ErrorLog);
        await ServerHealth.AssertServingAsync(server);
    }

    /// <summary>
    /// What is wrong with an answer, or null where a hostile client may get it. An error must be a
    /// JSON status with the gRPC code of its HTTP status. (Only the gRPC fuzzer checks that an
    /// INVALID_ARGUMENT names a field: here most bodies are refused by the JSON transcoder before
    /// our code sees them, with its own messages, e.g. "Request JSON payload is not correctly
    /// formatted.", as docs/api.md allows for malformed JSON.)
    /// </summary>
    private string? Problem(HttpStatusCode status, string text, byte[] body) => status switch
    {
        HttpStatusCode.OK => JsonParser.Default.Parse<RankResponse>(text).Scores.Count > 0 ? null : $"200 without scores: {Shorten(text)}",
        HttpStatusCode.BadRequest => StatusProblem(text, Grpc.Core.StatusCode.InvalidArgument),
        HttpStatusCode.NotFound => StatusProblem(text, Grpc.Core.StatusCode.NotFound),
        HttpStatusCode.TooManyRequests => StatusProblem(text, Grpc.Core.StatusCode.ResourceExhausted),
        HttpStatusCode.GatewayTimeout when AskedForShortBudget(body) => null,
        _ => $"{(int)status}: {Shorten(text)}",
    };

    private static string? StatusProblem(string text, Grpc.Core.StatusCode expected)
    {
        using var json = JsonDocument.Parse(text);
        var code = json.RootElement.GetProperty("code").GetInt32();
        var message = json.RootElement.GetProperty("message").GetString();
        return code == (int)expected && !string.IsNullOrEmpty(message) ? null : $"status {code} ({message}) where {expected} was due: {Shorten(text)}";
    }

    /// <summary>
    /// 504 is an answer a request can ask for with a budget of a few milliseconds (see
    /// GrpcWireFuzzTests.AskedForShortBudget); otherwise it would mean the server stalled.
    /// </summary>
    private bool AskedForShortBudget(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("budgetMs", out var budget)
                && double.TryParse(budget.ToString(), CultureInfo.InvariantCulture, out var ms)
                && ms > 0 && ms < fixture.Server.SloP99Ms;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : $"{text[..300]}… ({text.Length} chars)";
}
