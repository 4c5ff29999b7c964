using System.Diagnostics;

namespace Serving.IntegrationTests;

/// <summary>Runs a program the tests need (helm, python3) from the repository root and returns its stdout; a non-zero exit fails the test with its stderr.</summary>
internal static class ExternalProcess
{
    /// <summary>Runs Debian's python3 (python3-grpcio and python3-grpc-tools; scripts/test.sh installs them) and returns its stdout.</summary>
    public static string Python(string[] arguments) =>
        Run(
            File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
            arguments,
            " (needs python3-grpcio and python3-grpc-tools: apt-get install -y python3-grpcio python3-grpc-tools)",
            TimeSpan.FromMinutes(2));

    public static string Run(string file, IEnumerable<string> arguments, string hint = "", TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepositoryPaths.Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(timeout ?? Timeout.InfiniteTimeSpan), $"{file} did not end within {timeout}");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', start.ArgumentList)} exited {process.ExitCode}{hint}: {stderr}");
        return stdout.Result;
    }
}
