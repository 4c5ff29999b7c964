using System.Net;
using Grpc.Core;

namespace Serving.IntegrationTests.Fuzz;

/// <summary>What the server must still do after the fuzzers: be live, and score a valid request of each model as ONNX Runtime called directly does.</summary>
internal static class ServerHealth
{
    public static async Task AssertServingAsync(ServerFixture server)
    {
        using var health = await server.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        foreach (var model in FuzzRequests.Models)
        {
            var request = Requests.Synthetic(model, 7, seed: 4242);

            var response = await server.Client.RankAsync(request, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(1)));

            var expected = OnnxReference.Score(model, request);
            Assert.Equal(expected.Length, response.Scores.Count);
            Assert.All(expected.Zip(response.Scores), p => Assert.InRange(p.Second, p.First - 1e-5f, p.First + 1e-5f));
        }
    }
}
