using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serving.Contracts.Ranking.V1;
using Serving.Hosting;

namespace Serving.IntegrationTests;

/// <summary>
/// The server composed exactly as Serving.Host composes it, listening on free loopback ports
/// (HTTP/1.1 and h2c), with a gRPC channel and an HTTP client pointed at it.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private Task? _stopped;
    private string? _modelCopy;

    public int HttpPort { get; private set; }
    public int GrpcPort { get; private set; }
    public int AdminPort { get; private set; }
    public int AdminGrpcPort { get; private set; }
    public GrpcChannel Channel { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The admin listener (HTTP/1.1): /metrics, /v1/allocator, model control over REST.</summary>
    public HttpClient AdminHttp { get; private set; } = null!;

    /// <summary>The admin listener (h2c): reflection, model control over gRPC.</summary>
    public GrpcChannel AdminChannel { get; private set; } = null!;
    public RankingService.RankingServiceClient Client { get; private set; } = null!;
    public IServiceProvider Services => _app!.Services;

    /// <summary>Extra configuration for fixtures that need a different server setup.</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Registrations a test adds after the engine's (an in-memory trace exporter, say).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Called once the ports are chosen, before the server is built: for settings that need them (TLS listeners).</summary>
    public Action<ServerFixture, Dictionary<string, string?>>? ConfigureListeners { get; set; }

    /// <summary>Extra log sinks (e.g. to collect the server's errors), added before the server starts.</summary>
    public List<ILoggerProvider> LoggerProviders { get; } = [];

    public async Task InitializeAsync()
    {
        // A port found free can be taken by another process before Kestrel binds it: choose again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnFreePortsAsync();
                break;
            }
            catch (IOException ex) when (attempt < 5 && ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                await _app!.StopAsync();
                await _app.DisposeAsync();
                _app = null;
            }
        }

        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}");
        Client = new RankingService.RankingServiceClient(Channel);
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}") };
        AdminHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{AdminPort}") };
        AdminChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{AdminGrpcPort}");
    }

    private async Task StartOnFreePortsAsync()
    {
        (HttpPort, GrpcPort, AdminPort, AdminGrpcPort) = ChoosePorts();
        var settings = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{HttpPort}",
            ["Kestrel:Endpoints:Http:Protocols"] = "Http1",
            ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            ["Kestrel:Endpoints:Admin:Url"] = $"http://127.0.0.1:{AdminPort}",
            ["Kestrel:Endpoints:Admin:Protocols"] = "Http1",
            ["Kestrel:Endpoints:AdminGrpc:Url"] = $"http://127.0.0.1:{AdminGrpcPort}",
            ["Kestrel:Endpoints:AdminGrpc:Protocols"] = "Http2",
            ["Serving:Devices:Cpu:Replicas"] = "2",
            // Most tests need no accelerator; the GPU tests turn it (or its stand-in) on.
            ["Serving:Devices:Gpu:Enabled"] = "false",
            // The controller would retune batching and replicas under the tests' feet; its own tests turn it on.
            ["Serving:Allocator:Enabled"] = "false",
            // Warm-up calls would land in the tests' metrics and in-flight counts; RequestPathWarmUpTests turn it on.
            ["Serving:WarmUpRequestPath"] = "false",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        ConfigureListeners?.Invoke(this, settings);

        if (!settings.ContainsKey("Serving:ModelRepositoryPath"))
        {
            settings["Serving:ModelRepositoryPath"] = _modelCopy = TestRepository();
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        LoggerProviders.ForEach(p => builder.Logging.AddProvider(p));
        builder.Services.AddServing(builder.Configuration);
        ConfigureServices?.Invoke(builder.Services);
        _app = builder.Build();
        _app.MapServing();
        await _app.StartAsync();
    }

    /// <summary>Shuts the host down as SIGTERM would.</summary>
    public Task StopAsync() => _stopped ??= _app!.StopAsync();

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        Channel?.Dispose();
        AdminHttp?.Dispose();
        AdminChannel?.Dispose();
        if (_app is not null)
        {
            await StopAsync();
            await _app.DisposeAsync();
        }

        if (_modelCopy is not null && Directory.Exists(_modelCopy))
        {
            Directory.Delete(_modelCopy, recursive: true);
        }
    }

    /// <summary>
    /// Timing is not under test here and CI machines are busy: a copy of the shipped models with a
    /// lenient SLO (<see cref="SloP99Ms"/>) keeps correctness tests from failing on a slow run.
    /// </summary>
    public double SloP99Ms { get; set; } = 5000;

    private string TestRepository()
    {
        var root = Directory.CreateTempSubdirectory("serving-models-").FullName;
        foreach (var model in Directory.GetDirectories(RepositoryPaths.Models).Where(d => File.Exists(Path.Combine(d, "config.json"))))
        {
            var target = Path.Combine(root, Path.GetFileName(model));
            foreach (var file in Directory.GetFiles(model, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(target, Path.GetRelativePath(model, file));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(file, to);
            }

            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(target, "config.json")))!;
            config["sloP99Ms"] = SloP99Ms;
            File.WriteAllText(Path.Combine(target, "config.json"), config.ToJsonString());
        }

        return root;
    }

    /// <summary>Chooses the four listeners' ports (HTTP, gRPC, admin, admin gRPC) for each attempt to start.</summary>
    internal Func<(int Http, int Grpc, int Admin, int AdminGrpc)> ChoosePorts { get; set; } = FreePorts;

    /// <summary>Four distinct loopback ports free a moment ago (all held open together, so no two are the same).</summary>
    internal static (int Http, int Grpc, int Admin, int AdminGrpc) FreePorts()
    {
        var listeners = Enumerable.Range(0, 4).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToList();
            return (ports[0], ports[1], ports[2], ports[3]);
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}

/// <summary>A class fixture owning a server with its own settings (layered over <see cref="ServerFixture"/>'s).</summary>
public abstract class ConfiguredServer : IAsyncLifetime
{
    public ServerFixture Server { get; } = new();

    protected abstract IEnumerable<KeyValuePair<string, string?>> Settings { get; }

    public Task InitializeAsync()
    {
        foreach (var (key, value) in Settings)
        {
            Server.Settings[key] = value;
        }

        return Server.InitializeAsync();
    }

    public Task DisposeAsync() => Server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SharedServer : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
