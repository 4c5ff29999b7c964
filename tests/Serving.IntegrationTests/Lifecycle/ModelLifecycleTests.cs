using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Serving.Contracts.Admin.V1;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests.Lifecycle;

/// <summary>
/// Versions come and go while the server serves (real sockets, real ONNX Runtime sessions): added
/// by a repository scan and by the control API, rolled back, removed, broken; and a swap never fails
/// a call or lets a half-loaded version score one.
/// </summary>
public sealed class ModelLifecycleTests : IDisposable
{
    private const float Tolerance = 1e-5f;
    private readonly LiveRepository _repository = new();

    public void Dispose() => _repository.Dispose();

    [Fact]
    public async Task A_version_added_on_disk_serves_after_the_next_scan_and_the_old_one_retires()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository);
        Assert.Equal("1", (await RankAsync(live, seed: 1)).Version);
        var v1 = live.Registry.Find(LiveRepository.Model)!.Find("1")!;

        _repository.PublishVersion("2");
        var failures = await live.SyncAsync();

        Assert.Empty(failures);
        Assert.Equal(["2"], live.LiveVersions());
        var response = await RankAsync(live, seed: 2);
        Assert.Equal("2", response.Version);
        await live.WaitUntilAsync(_ => v1.Leases == 0 && v1.Retired, "v1 retired");
        var info = await live.Server.Client.GetModelAsync(new GetModelRequest { Model = LiveRepository.Model });
        Assert.True(info.Ready);
        Assert.Equal("2", info.Version);
    }

    [Fact]
    public async Task Polling_picks_up_a_new_version_without_any_call()
    {
        await using var live = await PublishV2ByPollAsync();
        Assert.Equal("2", (await RankAsync(live, seed: 3)).Version);
    }

    /// <summary>Serves v1 with a 100-ms poll, publishes v2 on disk and waits until a poll has made it the live version.</summary>
    private async Task<LiveServer> PublishV2ByPollAsync()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        var live = await LiveServer.StartAsync(_repository, new Dictionary<string, string?> { ["Serving:Models:PollInterval"] = "00:00:00.100" });
        _repository.PublishVersion("2");
        await live.WaitUntilAsync(_ => live.LiveVersions() is ["2"], "a poll to publish v2");
        return live;
    }

    /// <summary>
    /// Threads inherit their creator's nice value, and a process cannot lower it again: a version
    /// loaded from a low-priority thread once served its batches at nice 19 for good, starved by
    /// the request threads (under overload its cost model read several times the true cost, and the
    /// server refused most calls). Only work that starts no thread (the warm-up's runs) may take a
    /// low-priority thread; a one-thread CPU session's creation did, and ONNX Runtime started a thread
    /// from it that this test let through by its name.
    /// </summary>
    [Fact]
    public async Task A_version_loaded_by_a_poll_serves_on_threads_of_normal_priority()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // nice values are Linux's
        }

        await using var live = await PublishV2ByPollAsync();
        Assert.Equal("2", (await RankAsync(live, seed: 4)).Version);

        var threads = ProcessThreads();
        Assert.Contains(threads, t => t.Name.StartsWith("serving-cpu", StringComparison.Ordinal)); // the device pools' workers
        // No exception for low-priority threads' names: they end before a load does, and a thread
        // still alive under such a name was started by one (it inherits the name and the nice value).
        var lowered = threads.Where(t => t.Nice != 0).ToList();
        Assert.True(lowered.Count == 0, "threads below normal priority: " + string.Join(", ", lowered.Select(t => $"{t.Name} (nice {t.Nice})")));
    }

    /// <summary>This process's threads: name and nice value, from /proc.</summary>
    private static List<(string Name, int Nice)> ProcessThreads()
    {
        var threads = new List<(string, int)>();
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                threads.Add((name, int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture))); // field 19 of stat: nice
            }
            catch (IOException)
            {
                // the thread ended meanwhile
            }
        }

        return threads;
    }

    [Fact]
    public async Task The_control_api_loads_a_version_beside_the_policy_and_unloading_the_newest_rolls_back()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository);
        _repository.PublishVersion("2");

        var loaded = await live.Control.LoadVersionAsync(new LoadVersionRequest { Model = LiveRepository.Model, Version = "2" }, LiveServer.Authorized);

        Assert.Equal("2", loaded.DefaultVersion);
        Assert.Equal("2", (await RankAsync(live, seed: 4)).Version);

        var rolledBack = await live.Control.UnloadVersionAsync(new UnloadVersionRequest { Model = LiveRepository.Model, Version = "2" }, LiveServer.Authorized);

        Assert.Equal("1", rolledBack.DefaultVersion);
        Assert.Equal(["1"], live.LiveVersions());
        var request = Synthetic(seed: 5);
        var response = await live.Server.Client.RankAsync(request);
        Assert.Equal("1", response.Version);
        AssertClose(OnnxReference.Score("criteo-deepfm", request), response.Scores);
    }

    [Fact]
    public async Task Removing_a_version_rolls_back_and_removing_the_model_stops_serving_it()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        _repository.PublishVersion("2");
        await using var live = await LiveServer.StartAsync(_repository);
        Assert.Equal(["2"], live.LiveVersions());

        _repository.RemoveVersion("2");
        await live.SyncAsync();

        Assert.Equal(["1"], live.LiveVersions());
        Assert.Equal("1", (await RankAsync(live, seed: 6)).Version);

        _repository.RemoveModel();
        await live.SyncAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => RankAsync(live, seed: 7));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        var models = await live.Server.Client.ListModelsAsync(new Contracts.Ranking.V1.ListModelsRequest());
        Assert.DoesNotContain(models.Models, m => m.Name == LiveRepository.Model);
    }

    [Fact]
    public async Task A_load_past_the_session_budget_is_refused_with_the_reason_and_the_live_version_keeps_serving()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository, new Dictionary<string, string?>
        {
            ["Serving:Devices:Cpu:Replicas"] = "2",
            ["Serving:Models:MaxSessions"] = "3", // v1's two sessions fit; a second version's two beside them do not
        });
        Assert.Equal(2, live.Registry.Find(LiveRepository.Model)!.Find("1")!.Sessions);

        _repository.PublishVersion("2");
        var failures = await live.SyncAsync();

        Assert.Contains(failures, f => f.Contains("resource budget", StringComparison.Ordinal) && f.Contains("Serving:Models:MaxSessions is 3", StringComparison.Ordinal));
        Assert.Equal(["1"], live.LiveVersions());
        Assert.Equal("1", (await RankAsync(live, seed: 12)).Version);
        var info = await live.Server.Client.GetModelAsync(new GetModelRequest { Model = LiveRepository.Model });
        var refused = info.VersionStatus.Single(s => s.Version == "2");
        Assert.Equal(Contracts.Ranking.V1.VersionState.Failed, refused.State);
        Assert.Contains("needs 2 sessions, 2 are in use", refused.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_version_leaves_the_old_one_serving_and_says_why_everywhere()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository);

        _repository.PublishCorruptVersion("2");
        var failures = await live.SyncAsync();

        Assert.Contains(failures, f => f.Contains(Path.Combine("2", "model.onnx"), StringComparison.Ordinal));
        Assert.Equal(["1"], live.LiveVersions());
        Assert.Equal("1", (await RankAsync(live, seed: 8)).Version);

        var info = await live.Server.Client.GetModelAsync(new GetModelRequest { Model = LiveRepository.Model });
        var failed = info.VersionStatus.Single(s => s.Version == "2");
        Assert.Equal(Contracts.Ranking.V1.VersionState.Failed, failed.State);
        Assert.Contains("model.onnx", failed.Detail, StringComparison.Ordinal);
        Assert.Equal(Contracts.Ranking.V1.VersionState.Available, info.VersionStatus.Single(s => s.Version == "1").State);

        var ready = JsonNode.Parse(await live.Server.Http.GetStringAsync("/readyz"))!;
        var v2 = ready["models"]!.AsArray().Single(m => (string?)m!["version"] == "2")!;
        Assert.Equal("failed", (string?)v2["state"]);

        var metrics = await live.Server.AdminHttp.GetStringAsync("/metrics");
        Assert.Contains("serving_model_load_failures_total{model=\"ctr\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("serving_model_state{model=\"ctr\",version=\"2\",state=\"failed\"} 1", metrics, StringComparison.Ordinal);

        // Fixed files are tried again at the next scan.
        _repository.RemoveVersion("2");
        _repository.PublishVersion("2");
        Assert.Empty(await live.SyncAsync());
        Assert.Equal(["2"], live.LiveVersions());
    }

    [Fact]
    public async Task An_invalid_model_config_leaves_the_live_version_serving_and_is_shown()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository);

        _repository.WriteModelConfig(edit: c => c["versionPolicy"] = JsonNode.Parse("""{ "latest": 0 }"""));
        _repository.PublishVersion("2");
        var failures = await live.SyncAsync();

        Assert.Contains(failures, f => f.Contains("config.json", StringComparison.Ordinal) && f.Contains("versionPolicy", StringComparison.Ordinal));
        Assert.Equal(["1"], live.LiveVersions());
        Assert.Equal("1", (await RankAsync(live, seed: 9)).Version);
        var info = await live.Server.Client.GetModelAsync(new GetModelRequest { Model = LiveRepository.Model });
        Assert.Contains("versionPolicy", info.VersionStatus.Single(s => s.Version == "1").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_config_with_other_features_is_served_by_its_own_spec()
    {
        _repository.WriteModelConfig(edit: c => c["versionPolicy"] = JsonNode.Parse("""{ "all": true }"""));
        _repository.PublishVersion("1");
        _repository.PublishVersion("2", source: "avazu-dcn", withOwnConfig: true);
        await using var live = await LiveServer.StartAsync(_repository);

        var criteo = Synthetic(seed: 10);
        criteo.Version = "1";
        var avazu = Requests.Synthetic("avazu-dcn", 40, seed: 11);
        avazu.Model = LiveRepository.Model;
        avazu.Version = "2";

        AssertClose(OnnxReference.Score("criteo-deepfm", criteo), (await live.Server.Client.RankAsync(criteo)).Scores);
        AssertClose(OnnxReference.Score("avazu-dcn", avazu), (await live.Server.Client.RankAsync(avazu)).Scores);
        var v2 = await live.Server.Client.GetModelAsync(new GetModelRequest { Model = LiveRepository.Model, Version = "2" });
        Assert.Contains(v2.Features, f => f.Name == "site_id");
    }

    [Fact]
    public async Task Labels_route_requests_and_the_control_api_moves_them()
    {
        _repository.WriteModelConfig(edit: c =>
        {
            c["versionPolicy"] = JsonNode.Parse("""{ "specific": ["1", "2"] }""");
            c["labels"] = JsonNode.Parse("""{ "stable": "1", "canary": "2" }""");
        });
        _repository.PublishVersion("1");
        _repository.PublishVersion("2");
        await using var live = await LiveServer.StartAsync(_repository);

        Assert.Equal("1", (await RankAsync(live, seed: 12, version: "stable")).Version);
        Assert.Equal("2", (await RankAsync(live, seed: 13, version: "canary")).Version);

        var moved = await live.Control.SetLabelsAsync(new SetLabelsRequest { Model = LiveRepository.Model, Labels = { ["stable"] = "2" } }, LiveServer.Authorized);

        Assert.Equal("2", moved.Labels["stable"]);
        Assert.Equal("2", (await RankAsync(live, seed: 14, version: "stable")).Version);
        var error = await Assert.ThrowsAsync<RpcException>(() => RankAsync(live, seed: 15, version: "canary"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);

        var bad = await Assert.ThrowsAsync<RpcException>(() => live.Control.SetLabelsAsync(new SetLabelsRequest { Model = LiveRepository.Model, Labels = { ["stable"] = "7" } }, LiveServer.Authorized).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, bad.StatusCode);
        Assert.Contains("labels.stable", bad.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_weighted_split_holds_its_proportions_and_sticks_per_request_id()
    {
        _repository.WriteModelConfig(edit: c =>
        {
            c["versionPolicy"] = JsonNode.Parse("""{ "all": true }""");
            c["traffic"] = JsonNode.Parse("""{ "1": 70, "2": 30 }""");
        });
        _repository.PublishVersion("1");
        _repository.PublishVersion("2");
        await using var live = await LiveServer.StartAsync(_repository);

        const int Calls = 400;
        var byId = new Dictionary<string, string>();
        for (var i = 0; i < Calls; i++)
        {
            var request = Synthetic(seed: i, candidates: 1);
            request.RequestId = $"page-view-{i}";
            byId[request.RequestId] = (await live.Server.Client.RankAsync(request)).Version;
        }

        // 30% of 400: standard deviation 9.2 calls; +-46 calls is five of them.
        var share = byId.Values.Count(v => v == "2") / (double)Calls;
        Assert.InRange(share, 0.30 - 0.115, 0.30 + 0.115);
        foreach (var id in byId.Keys.Take(50))
        {
            var again = Synthetic(seed: 1, candidates: 1);
            again.RequestId = id;
            Assert.Equal(byId[id], (await live.Server.Client.RankAsync(again)).Version);
        }

        // A request that names a version is not split.
        Assert.Equal("2", (await RankAsync(live, seed: 16, version: "2")).Version);
    }

    [Fact]
    public async Task Calls_in_flight_during_repeated_swaps_all_succeed_on_a_fully_loaded_version()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository);
        using var stop = new CancellationTokenSource();
        var versionsSeen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var request = Synthetic(seed: 17, candidates: 64);
        var expected = OnnxReference.Score("criteo-deepfm", request);

        async Task<int> Caller()
        {
            var calls = 0;
            while (!stop.IsCancellationRequested)
            {
                var response = await live.Server.Client.RankAsync(request); // any failure fails the test
                AssertClose(expected, response.Scores);
                versionsSeen.AddOrUpdate(response.Version, 1, (_, n) => n + 1);
                calls++;
            }

            return calls;
        }

        var callers = Enumerable.Range(0, 4).Select(_ => Task.Run(Caller)).ToList();
        for (var version = 2; version <= 5; version++)
        {
            var name = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _repository.PublishVersion(name);
            Assert.Empty(await live.SyncAsync());
            Assert.Equal(name, (await live.Server.Client.RankAsync(request)).Version); // published: new calls go to it
        }

        await stop.CancelAsync();
        var total = (await Task.WhenAll(callers)).Sum();
        Assert.True(total > 0);
        Assert.True(versionsSeen.Count >= 2, $"the callers saw versions {string.Join(", ", versionsSeen.Keys)}");
        Assert.Equal(["5"], live.LiveVersions());
    }

    [Fact]
    public async Task One_bad_model_at_start_does_not_stop_the_others_unless_fail_fast_is_set()
    {
        _repository.WriteModelConfig();
        _repository.PublishCorruptVersion("1");

        await using (var live = await LiveServer.StartAsync(_repository, new Dictionary<string, string?> { ["Serving:ModelRepositoryPath"] = ShippedPlus(_repository) }))
        {
            Assert.Equal("1", (await live.Server.Client.RankAsync(Requests.Synthetic("avazu-dcn", 3, seed: 1))).Version);
            using var ready = await live.Server.Http.GetAsync("/readyz");
            var body = await ready.Content.ReadAsStringAsync();
            Assert.Contains("\"model\":\"ctr\"", body, StringComparison.Ordinal);
            Assert.Contains("\"state\":\"failed\"", body, StringComparison.Ordinal);
            var info = await live.Server.Client.GetModelAsync(new GetModelRequest { Model = LiveRepository.Model });
            Assert.False(info.Ready);
            var error = await Assert.ThrowsAsync<RpcException>(() => RankAsync(live, seed: 18));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        }

        var failFast = await Assert.ThrowsAnyAsync<Exception>(() => LiveServer.StartAsync(_repository, new Dictionary<string, string?>
        {
            ["Serving:ModelRepositoryPath"] = ShippedPlus(_repository),
            ["Serving:Models:FailFast"] = "true",
        }));
        Assert.Contains("FailFast", failFast.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_calls_need_the_token_and_are_absent_from_the_public_ports()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository);

        var none = await Assert.ThrowsAsync<RpcException>(() => live.Control.RefreshAsync(new RefreshRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var wrong = await Assert.ThrowsAsync<RpcException>(() => live.Control.ListModelsAsync(new Contracts.Admin.V1.ListModelsRequest(), new Metadata { { "authorization", "Bearer not-the-token" } }).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        Assert.Single((await live.Control.ListModelsAsync(new Contracts.Admin.V1.ListModelsRequest(), LiveServer.Authorized)).Models);

        using var anonymous = await live.Server.AdminHttp.PostAsync("/v1/admin/models:refresh", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var authorized = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/models/ctr:setShadow") { Content = new StringContent("""{"version":"1","fraction":0}""", Encoding.UTF8, "application/json") };
        authorized.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LiveServer.Token);
        using var ok = await live.Server.AdminHttp.SendAsync(authorized);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // Not there at all on the public listeners, token or not.
        using var publicRest = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/models");
        publicRest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LiveServer.Token);
        using var notFound = await live.Server.Http.SendAsync(publicRest);
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        var publicGrpc = new ModelControlService.ModelControlServiceClient(live.Server.Channel);
        var unimplemented = await Assert.ThrowsAsync<RpcException>(() => publicGrpc.ListModelsAsync(new Contracts.Admin.V1.ListModelsRequest(), LiveServer.Authorized).ResponseAsync);
        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);
    }

    [Fact]
    public async Task With_no_token_configured_every_control_call_is_refused()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository, new Dictionary<string, string?> { ["Serving:Admin:Token"] = "" });

        var refused = await Assert.ThrowsAsync<RpcException>(() => live.Control.ListModelsAsync(new Contracts.Admin.V1.ListModelsRequest(), new Metadata { { "authorization", "Bearer " } }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Contains("Serving:Admin:Token", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_errors_name_what_is_wrong()
    {
        _repository.WriteModelConfig();
        _repository.PublishVersion("1");
        await using var live = await LiveServer.StartAsync(_repository);

        var noModel = await Assert.ThrowsAsync<RpcException>(() => live.Control.LoadVersionAsync(new LoadVersionRequest { Model = "nope", Version = "1" }, LiveServer.Authorized).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, noModel.StatusCode);
        var noVersion = await Assert.ThrowsAsync<RpcException>(() => live.Control.LoadVersionAsync(new LoadVersionRequest { Model = LiveRepository.Model, Version = "9" }, LiveServer.Authorized).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, noVersion.StatusCode);
        var weight = await Assert.ThrowsAsync<RpcException>(() => live.Control.SetTrafficAsync(new SetTrafficRequest { Model = LiveRepository.Model, Weights = { ["1"] = -1 } }, LiveServer.Authorized).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, weight.StatusCode);
        Assert.Equal("weights.1", weight.Trailers.GetValue("field"));

        _repository.PublishCorruptVersion("2");
        var corrupt = await Assert.ThrowsAsync<RpcException>(() => live.Control.LoadVersionAsync(new LoadVersionRequest { Model = LiveRepository.Model, Version = "2" }, LiveServer.Authorized).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, corrupt.StatusCode);
        Assert.Contains("what served before keeps serving", corrupt.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(["1"], live.LiveVersions());
    }

    private static RankRequest Synthetic(int seed, int candidates = 20)
    {
        var request = Requests.Synthetic("criteo-deepfm", candidates, seed);
        request.Model = LiveRepository.Model;
        return request;
    }

    private static async Task<RankResponse> RankAsync(LiveServer live, int seed, string version = "")
    {
        var request = Synthetic(seed);
        request.Version = version;
        return await live.Server.Client.RankAsync(request);
    }

    /// <summary>The shipped models beside the live repository's (lenient SLOs), in a folder of the live repository.</summary>
    private static string ShippedPlus(LiveRepository repository)
    {
        var root = Path.Combine(repository.Root, ".with-shipped");
        if (!Directory.Exists(root))
        {
            CopyFolder(repository.ModelFolder, Path.Combine(root, LiveRepository.Model));
            CopyFolder(Path.Combine(RepositoryPaths.Models, "avazu-dcn"), Path.Combine(root, "avazu-dcn"));
        }

        return root;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static void AssertClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= Tolerance, $"score {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
