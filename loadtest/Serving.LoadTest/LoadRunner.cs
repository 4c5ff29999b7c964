using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Recording;
using Serving.LoadTest.Reporting;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest;

/// <summary>Runs one load test in-process: the entry point behind <c>run</c>, and for integration tests.</summary>
public static class LoadRunner
{
    /// <summary>
    /// Builds the request pool, optionally warms up, runs the schedule open-loop against the target and
    /// returns the summary. When <see cref="LoadOptions.OutputDirectory"/> is set, also writes summary.json,
    /// timeseries.json, latency.png and throughput.png there. Cancelling stops sending and returns the
    /// partial summary (<see cref="RunSummary.Cancelled"/>).
    /// </summary>
    public static Task<RunSummary> RunAsync(LoadOptions options, CancellationToken cancellationToken = default) =>
        RunAsync(options, TimeProvider.System, Console.Error, cancellationToken);

    /// <summary>Builds the request pool once, before any timing starts, and prints its notes unless quiet.</summary>
    internal static async Task<Workload> BuildWorkloadAsync(LoadOptions options, TextWriter log)
    {
        var workload = WorkloadBuilder.Build(options);
        if (!options.Quiet)
        {
            foreach (var note in workload.Notes)
            {
                await log.WriteLineAsync("note: " + note).ConfigureAwait(false);
            }
        }

        return workload;
    }

    internal static async Task<RunSummary> RunAsync(
        LoadOptions options, TimeProvider time, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        var workload = await BuildWorkloadAsync(options, log).ConfigureAwait(false);
        var serverTiming = new ServerTimingRecorder();
        using var transport = TransportFactory.Create(options, serverTiming);
        var sender = new PooledRequestSender(workload.Pool, transport);
        var report = await RunWithSenderAsync(options, workload, sender, time, log, cancellationToken, serverTiming).ConfigureAwait(false);
        return report.Summary;
    }

    /// <summary>
    /// Warm-up, measured run and output files over an already prepared workload and sender; with
    /// <paramref name="serverTiming"/> (the transport's response observer), the summary carries the
    /// server's timing of the measured run's OK responses.
    /// </summary>
    internal static async Task<RunReport> RunWithSenderAsync(
        LoadOptions options, Workload workload, IRequestSender sender, TimeProvider time, TextWriter log, CancellationToken cancellationToken, ServerTimingRecorder? serverTiming = null)
    {
        ArgumentNullException.ThrowIfNull(options);

        // The measured run carries on through the pool after the warm-up's requests (ContinuingSender).
        var continuing = new ContinuingSender(sender);
        await RunSession.WarmUpAsync(options, continuing, time, cancellationToken).ConfigureAwait(false);
        continuing.NextRun();
        sender = continuing;
        serverTiming?.Start();
        var progress = options.Quiet ? null : new RunSession.ProgressTarget(log, Overwrite: ReferenceEquals(log, Console.Error) && !Console.IsErrorRedirected);
        var report = await RunSession.ExecuteAsync(options, workload, sender, time, progress, cancellationToken).ConfigureAwait(false);
        if (serverTiming?.Summary() is { } timing)
        {
            report = report with { Summary = report.Summary with { ServerTiming = timing } };
        }

        if (options.OutputDirectory is { } directory)
        {
            ReportWriter.Write(directory, report);
        }

        return report;
    }
}
