using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Serving.IntegrationTests.Allocation;

/// <summary>
/// A real Prometheus server (Debian's <c>prometheus</c> binary) on a free loopback port, with a
/// temporary configuration that scrapes one target every second and a temporary TSDB folder.
/// When the binary is missing the tests that use it fail, saying how to install it.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string InstallHint =
        "Debian's prometheus binary is required by the allocator integration tests: run scripts/test.sh (it installs it), or as root `apt-get update && apt-get install -y prometheus`; PROMETHEUS_BIN may point at another prometheus binary.";

    private readonly Process _process;
    private readonly string _folder;
    private readonly StringBuilder _log = new();

    private PrometheusServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
        Url = new Uri($"http://127.0.0.1:{port}/");
        Http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }
    public Uri Url { get; }
    public HttpClient Http { get; }

    /// <summary>What the server printed, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The binary: <c>PROMETHEUS_BIN</c>, else <c>/usr/bin/prometheus</c>, else <c>prometheus</c> on PATH; null when none exists.</summary>
    public static string? FindBinary()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("PROMETHEUS_BIN") is { Length: > 0 } configured)
        {
            candidates.Add(configured);
        }

        candidates.Add("/usr/bin/prometheus");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            candidates.Add(Path.Combine(dir, "prometheus"));
        }

        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>A free loopback port, for a server that must know Prometheus' address before it starts.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts Prometheus on <paramref name="port"/> scraping <paramref name="target"/> (host:port) every second; returns once it is ready.</summary>
    public static async Task<PrometheusServer> StartAsync(int port, string target)
    {
        var binary = FindBinary() ?? throw new InvalidOperationException(InstallHint);
        var folder = Directory.CreateTempSubdirectory("serving-prometheus-").FullName;
        var config = Path.Combine(folder, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: serving
                metrics_path: /metrics
                static_configs:
                  - targets: ['{target}']
            """);
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add($"--config.file={config}");
        start.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(folder, "data")}");
        start.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
        start.ArgumentList.Add("--log.level=warn");
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{binary} did not start");
        var server = new PrometheusServer(process, folder, port);
        try
        {
            await server.WaitUntilAsync(async () =>
            {
                using var ready = await server.Http.GetAsync(new Uri("-/ready", UriKind.Relative));
                return ready.StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromSeconds(60), "Prometheus to be ready");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Runs an instant query; returns the value of its first series, or null when the result is empty.</summary>
    public async Task<double?> QueryScalarAsync(string query)
    {
        using var response = await Http.GetAsync(new Uri($"api/v1/query?query={Uri.EscapeDataString(query)}", UriKind.Relative));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var result = json.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0
            ? null
            : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="deadline"/> with what it waited for and the server's log.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var watch = Stopwatch.StartNew();
        Exception? last = null;
        while (watch.Elapsed < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited with code {_process.ExitCode} while waiting for {what}:\n{Log}");
            }

            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                last = ex;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Gave up after {deadline.TotalSeconds:0} s waiting for {what} ({last?.Message}). Prometheus log:\n{Log}");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
