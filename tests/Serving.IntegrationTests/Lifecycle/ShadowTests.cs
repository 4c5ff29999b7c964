using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Serving.Api;
using Serving.Contracts.Admin.V1;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests.Lifecycle;

/// <summary>Shadow scoring: mirrored calls never change what the caller gets, and are the first work dropped when the server is busy.</summary>
public sealed partial class ShadowTests : IDisposable
{
    private readonly LiveRepository _repository = new();

    public void Dispose() => _repository.Dispose();

    [Fact]
    public async Task A_shadow_scores_every_mirrored_call_off_the_critical_path_without_changing_the_primary_answer()
    {
        WriteTwoVersions(shadow: """{ "version": "2", "fraction": 1 }""");
        await using var live = await LiveServer.StartAsync(_repository);

        const int Calls = 20;
        const int Candidates = 30;
        for (var i = 0; i < Calls; i++)
        {
            var request = Requests.Synthetic("criteo-deepfm", Candidates, seed: i);
            request.Model = LiveRepository.Model;

            var response = await live.Server.Client.RankAsync(request);

            Assert.Equal("1", response.Version);
            Assert.Equal(OnnxReference.Score("criteo-deepfm", request), response.Scores);
            await live.Server.Services.GetRequiredService<ShadowMirror>().WhenIdleAsync(); // one at a time: none shed
        }

        var metrics = await live.Server.AdminHttp.GetStringAsync("/metrics");
        Assert.Equal(Calls, Sample(metrics, """serving_shadow_requests_total{model="ctr",version="2",outcome="scored"}"""));
        // v2 is the same network: every candidate's difference is counted, and they are all zero.
        Assert.Equal(Calls * Candidates, Sample(metrics, """serving_shadow_score_difference_count{model="ctr",version="2",primary="1"}"""));
        Assert.Equal(0, Sample(metrics, """serving_shadow_score_difference_sum{model="ctr",version="2",primary="1"}"""), 6);
        Assert.Equal(Calls * Candidates, Sample(metrics, """serving_scores_count{model="ctr",version="2"}"""));
        // The shadow's calls are not the callers': v2 answered none.
        Assert.Equal(0, Sample(metrics, """serving_request_duration_seconds_count{model="ctr",version="2"}"""));
        Assert.Equal(Calls, Sample(metrics, """serving_request_duration_seconds_count{model="ctr",version="1"}"""));
    }

    [Fact]
    public async Task A_busy_server_sheds_every_shadow_call_and_still_answers_the_primary()
    {
        WriteTwoVersions(shadow: """{ "version": "2", "fraction": 1 }""");
        // One call in flight fills the admission limit: past the best-effort share, so no room for a shadow.
        await using var live = await LiveServer.StartAsync(_repository, new Dictionary<string, string?>
        {
            ["Serving:MinInFlightRequests"] = "1",
            ["Serving:MaxInFlightRequests"] = "1",
        });

        for (var i = 0; i < 10; i++)
        {
            var request = Requests.Synthetic("criteo-deepfm", 10, seed: i);
            request.Model = LiveRepository.Model;
            var response = await live.Server.Client.RankAsync(request);
            Assert.Equal(OnnxReference.Score("criteo-deepfm", request), response.Scores);
        }

        await live.Server.Services.GetRequiredService<ShadowMirror>().WhenIdleAsync();
        var metrics = await live.Server.AdminHttp.GetStringAsync("/metrics");
        Assert.True(10 == Sample(metrics, """serving_shadow_requests_total{model="ctr",version="2",outcome="shed"}"""), string.Join("\n", metrics.Split('\n').Where(l => l.Contains("shadow", StringComparison.Ordinal) || l.Contains("ingress", StringComparison.Ordinal))));
        Assert.DoesNotContain("outcome=\"scored\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_control_api_turns_the_shadow_on_for_a_share_of_request_ids_and_off()
    {
        WriteTwoVersions(shadow: null);
        await using var live = await LiveServer.StartAsync(_repository);

        var on = await live.Control.SetShadowAsync(new SetShadowRequest { Model = LiveRepository.Model, Version = "2", Fraction = 0.5 }, LiveServer.Authorized);
        Assert.Equal(0.5, on.Shadow.Fraction);

        const int Calls = 200;
        for (var i = 0; i < Calls; i++)
        {
            var request = Requests.Synthetic("criteo-deepfm", 1, seed: i);
            request.Model = LiveRepository.Model;
            request.RequestId = $"view-{i}";
            await live.Server.Client.RankAsync(request);
            await live.Server.Services.GetRequiredService<ShadowMirror>().WhenIdleAsync(); // one at a time: none shed
        }

        var mirrored = Sample(await live.Server.AdminHttp.GetStringAsync("/metrics"), """serving_shadow_requests_total{model="ctr",version="2",outcome="scored"}""");
        // Half of 200: standard deviation 7.1 calls; +-35 is five of them.
        Assert.InRange(mirrored, 100 - 35, 100 + 35);

        await live.Control.SetShadowAsync(new SetShadowRequest { Model = LiveRepository.Model, Version = "2", Fraction = 0 }, LiveServer.Authorized);
        for (var i = 0; i < 20; i++)
        {
            var request = Requests.Synthetic("criteo-deepfm", 1, seed: i);
            request.Model = LiveRepository.Model;
            request.RequestId = $"view-{i}";
            await live.Server.Client.RankAsync(request);
        }

        await live.Server.Services.GetRequiredService<ShadowMirror>().WhenIdleAsync();
        Assert.Equal(mirrored, Sample(await live.Server.AdminHttp.GetStringAsync("/metrics"), """serving_shadow_requests_total{model="ctr",version="2",outcome="scored"}"""));
    }

    private void WriteTwoVersions(string? shadow)
    {
        _repository.WriteModelConfig(edit: c =>
        {
            c["versionPolicy"] = JsonNode.Parse("""{ "all": true }""");
            c["defaultVersion"] = "1";
            if (shadow is not null)
            {
                c["shadow"] = JsonNode.Parse(shadow);
            }
        });
        _repository.PublishVersion("1");
        _repository.PublishVersion("2");
    }

    /// <summary>The value of one series in Prometheus text; 0 when absent.</summary>
    private static double Sample(string metrics, string series)
    {
        foreach (var line in metrics.Split('\n'))
        {
            if (line.StartsWith(series + " ", StringComparison.Ordinal))
            {
                return double.Parse(line[(series.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
