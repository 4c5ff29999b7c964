using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Serving.IntegrationTests.Reliability;

/// <summary>
/// The server as users run it, in a process of its own (the built Serving.Host), pinned to core 0
/// when the machine has two or more: an in-process client would share the server's thread pool and
/// measure that instead. Stopped with SIGTERM (then killed) on dispose.
/// </summary>
public sealed class HostProcess : IAsyncLifetime
{
    private Process? _process;

    public int HttpPort { get; private set; }
    public int GrpcPort { get; private set; }
    public int AdminPort { get; private set; }
    public int AdminGrpcPort { get; private set; }

    /// <summary>True when the server runs on core 0 alone (the client should then stay off it).</summary>
    public bool Pinned { get; private set; }

    public Dictionary<string, string> Settings { get; } = [];

    /// <summary>
    /// Starts the server and waits until it is ready. A free port can be taken by another test's
    /// server between choosing it and the host binding it (the host then exits at start: seen once
    /// in a full run), so a start that ends before ready is tried again on new ports, twice.
    /// </summary>
    public async Task InitializeAsync()
    {
        var dll = Path.Combine(RepositoryPaths.Root, "src", "Serving.Host", "bin", "Release", "net10.0", "Serving.Host.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("build the solution in Release first (dotnet test Serving.sln -c Release builds the host)", dll);
        }

        Pinned = Environment.ProcessorCount >= 2 && File.Exists("/usr/bin/taskset");
        for (var attempt = 1; ; attempt++)
        {
            var exited = await TryStartAsync(dll);
            if (exited is null)
            {
                return;
            }

            _process!.Dispose();
            _process = null;
            if (attempt == 3)
            {
                throw new InvalidOperationException(exited);
            }
        }
    }

    /// <summary>Starts the host on fresh ports; null once it is ready, or why it exited first.</summary>
    private async Task<string?> TryStartAsync(string dll)
    {
        (HttpPort, GrpcPort, AdminPort, AdminGrpcPort) = (FreePort(), FreePort(), FreePort(), FreePort());
        var start = Pinned
            ? new ProcessStartInfo("/usr/bin/taskset", ["-c", "0", "dotnet", dll])
            : new ProcessStartInfo("dotnet", [dll]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = RepositoryPaths.Root;
        var env = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{HttpPort}",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{GrpcPort}",
            ["Kestrel__Endpoints__Admin__Url"] = $"http://127.0.0.1:{AdminPort}",
            ["Kestrel__Endpoints__AdminGrpc__Url"] = $"http://127.0.0.1:{AdminGrpcPort}",
            ["Serving__ModelRepositoryPath"] = RepositoryPaths.Models,
            ["Serving__Devices__Gpu__Enabled"] = "false",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in Settings)
        {
            env[key] = value;
        }

        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is { } text)
            {
                errors.Enqueue(text);
                while (errors.Count > 20 && errors.TryDequeue(out string? _))
                {
                }
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                return $"the server exited with {_process.ExitCode} before it was ready: {string.Join(" | ", errors)}";
            }

            try
            {
                using var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz"));
                if (ready.IsSuccessStatusCode)
                {
                    return null;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200); // polling a process we do not control: there is nothing to await instead
        }

        throw new TimeoutException("the server did not become ready within 60 s");
    }

    /// <summary>The server's working set now.</summary>
    public long WorkingSetBytes()
    {
        _process!.Refresh();
        return _process.WorkingSet64;
    }

    public async Task DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _ = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit(5000);
            if (!_process.WaitForExit(30_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
