using System.Collections.Frozen;
using Serving.Models;
using Serving.Registry;

namespace Serving.Tests.Registry;

/// <summary>How requests find a version: labels, the weighted split (sticky per request id), the shadow's share, the default.</summary>
public class ModelRoutingTests
{
    private static readonly ModelSpec Spec = TestModels.Tiny();

    [Fact]
    public void The_split_holds_its_weights_over_many_request_ids()
    {
        var routing = Routing(["1", "2", "3"], traffic: new() { ["1"] = 60, ["2"] = 30, ["3"] = 10 });

        const int Ids = 100_000;
        var counts = Enumerable.Range(0, Ids).Select(i => routing.Route($"request-{i}")!.Version).CountBy(v => v).ToDictionary();

        // Binomial standard deviations at 100,000 ids: 0.15%, 0.14%, 0.09%; 0.75% is five or more.
        Assert.InRange(counts["1"] / (double)Ids, 0.60 - 0.0075, 0.60 + 0.0075);
        Assert.InRange(counts["2"] / (double)Ids, 0.30 - 0.0075, 0.30 + 0.0075);
        Assert.InRange(counts["3"] / (double)Ids, 0.10 - 0.0075, 0.10 + 0.0075);
    }

    [Fact]
    public void A_request_id_always_goes_to_the_same_version_even_in_a_new_snapshot()
    {
        var first = Routing(["1", "2"], traffic: new() { ["1"] = 50, ["2"] = 50 });
        var second = Routing(["1", "2"], traffic: new() { ["1"] = 50, ["2"] = 50 });

        for (var i = 0; i < 1000; i++)
        {
            var id = $"page-view-{i}";
            Assert.Equal(first.Route(id)!.Version, first.Route(id)!.Version);
            Assert.Equal(first.Route(id)!.Version, second.Route(id)!.Version);
        }
    }

    [Fact]
    public void Labels_name_versions_in_the_split_and_entries_for_versions_not_live_are_left_out()
    {
        var routing = Routing(["1", "2"], labels: new() { ["stable"] = "1", ["canary"] = "2", ["old"] = "0" }, traffic: new() { ["canary"] = 1, ["old"] = 99 });

        // "old" points at a version that is not live: every request goes to canary.
        Assert.All(Enumerable.Range(0, 200), i => Assert.Equal("2", routing.Route($"r{i}")!.Version));
        Assert.Equal("1", ModelRouting.Resolve(Live(["1", "2"]), routing.Labels, "stable")?.Version);
        Assert.Null(ModelRouting.Resolve(Live(["1", "2"]), routing.Labels, "old"));
    }

    [Fact]
    public void Without_a_split_requests_get_the_default_version_else_the_newest()
    {
        Assert.Equal("10", Routing(["2", "10"]).Route("x")!.Version);
        Assert.Equal("2", Routing(["2", "10"], defaultVersion: "2").Route("x")!.Version);
        Assert.Equal("10", Routing(["2", "10"], defaultVersion: "7").Route("x")!.Version);
        Assert.Null(Routing([]).Route("x"));
    }

    [Fact]
    public void The_shadow_mirrors_its_fraction_of_request_ids_independently_of_the_split()
    {
        var routing = Routing(["1", "2"], traffic: new() { ["1"] = 50, ["2"] = 50 }, shadow: new ShadowPolicy("2", 0.2));

        const int Ids = 50_000;
        var mirrored = Enumerable.Range(0, Ids).Where(i => routing.Mirrors($"id-{i}")).ToList();

        Assert.InRange(mirrored.Count / (double)Ids, 0.2 - 0.009, 0.2 + 0.009); // sd 0.18%
        Assert.Equal("2", routing.ShadowVersion!.Version);
        // Not the same hash as the split: mirrored ids fall to both versions about equally.
        var toOne = mirrored.Count(i => routing.Route($"id-{i}")!.Version == "1") / (double)mirrored.Count;
        Assert.InRange(toOne, 0.45, 0.55);
        Assert.Equal(routing.Mirrors("id-7"), routing.Mirrors("id-7"));
    }

    [Fact]
    public void A_shadow_naming_no_live_version_mirrors_nothing()
    {
        var routing = Routing(["1"], shadow: new ShadowPolicy("2", 1));

        Assert.Null(routing.ShadowVersion);
        Assert.False(routing.Mirrors("any"));
    }

    private static ModelRouting Routing(
        string[] live,
        Dictionary<string, string>? labels = null,
        Dictionary<string, double>? traffic = null,
        ShadowPolicy? shadow = null,
        string? defaultVersion = null) =>
        new(Live(live), labels ?? [], traffic ?? [], shadow, defaultVersion);

    /// <summary>Versions with nothing behind them: routing reads only their numbers.</summary>
    private static FrozenDictionary<string, ServedModelVersion> Live(string[] versions) =>
        versions.ToFrozenDictionary(v => v, v => new ServedModelVersion(Spec, v, "", null!, [], [], null!));
}
