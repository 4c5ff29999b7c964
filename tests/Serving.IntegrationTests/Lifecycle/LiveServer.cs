using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Serving.Contracts.Admin.V1;
using Serving.Registry;

namespace Serving.IntegrationTests.Lifecycle;

/// <summary>A server on a <see cref="LiveRepository"/> with the control API's token set; polling off unless a test turns it on.</summary>
internal sealed class LiveServer : IAsyncDisposable
{
    public const string Token = "test-admin-token";

    private LiveServer(ServerFixture server, LiveRepository repository)
    {
        Server = server;
        Repository = repository;
        Control = new ModelControlService.ModelControlServiceClient(server.AdminChannel);
    }

    public ServerFixture Server { get; }

    public LiveRepository Repository { get; }

    public ModelControlService.ModelControlServiceClient Control { get; }

    public ModelRegistry Registry => Server.Services.GetRequiredService<ModelRegistry>();

    public ModelLifecycle Lifecycle => Server.Services.GetRequiredService<ModelLifecycle>();

    public static Metadata Authorized { get; } = new() { { "authorization", $"Bearer {Token}" } };

    public static async Task<LiveServer> StartAsync(LiveRepository repository, IDictionary<string, string?>? settings = null)
    {
        var server = new ServerFixture();
        server.Settings["Serving:ModelRepositoryPath"] = repository.Root;
        server.Settings["Serving:Models:PollInterval"] = "00:00:00";
        server.Settings["Serving:Admin:Token"] = Token;
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            server.Settings[key] = value;
        }

        try
        {
            await server.InitializeAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return new LiveServer(server, repository);
    }

    /// <summary>Scans the repository now, as a poll would.</summary>
    public Task<IReadOnlyList<string>> SyncAsync() => Lifecycle.SyncAsync(CancellationToken.None);

    /// <summary>Waits (on publications, not on a clock) until <paramref name="condition"/> holds; fails after a minute.</summary>
    public async Task WaitUntilAsync(Func<ModelRegistry, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            var next = Registry.NextPublication; // read before checking: a publish in between completes it
            if (condition(Registry))
            {
                return;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }

            try
            {
                await next.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"timed out waiting for: {what}");
            }
        }
    }

    /// <summary>The live versions of the model, ascending.</summary>
    public IReadOnlyList<string> LiveVersions() =>
        Registry.Find(LiveRepository.Model)?.Versions.Select(v => v.Version).ToList() ?? [];

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
