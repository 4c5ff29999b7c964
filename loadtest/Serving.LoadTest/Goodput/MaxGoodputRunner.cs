using System.Globalization;
using Serving.LoadTest.Arrivals;
using Serving.LoadTest.Dispatch;
using Serving.LoadTest.Reporting;
using Serving.LoadTest.Requests;
using Serving.LoadTest.Transport;

namespace Serving.LoadTest.Goodput;

/// <summary>Runs a goodput-at-SLO search in-process: the entry point behind <c>max-goodput</c>.</summary>
public static class MaxGoodputRunner
{
    public const string ResultFile = "goodput.json";
    public const string PlotFile = "goodput.png";

    /// <summary>The SLO used when neither the options nor the model config give one.</summary>
    public const double DefaultSloMs = 10;

    /// <summary>
    /// Builds the workload and one connection once, warms up, then runs steady steps chosen by the
    /// search. Writes goodput.json, goodput.png and steps/NN-RATE/{summary,timeseries}.json when
    /// <see cref="GoodputOptions.OutputDirectory"/> is set.
    /// </summary>
    public static Task<GoodputResult> RunAsync(GoodputOptions options, CancellationToken cancellationToken = default) =>
        RunAsync(options, TimeProvider.System, Console.Error, cancellationToken);

    internal static async Task<GoodputResult> RunAsync(
        GoodputOptions options, TimeProvider time, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        options.Validate();
        var baseLoad = options.Load with
        {
            Schedule = new SteadySchedule(options.StartRatePerSecond),
            Duration = options.StepDuration,
            OutputDirectory = null,
        };
        baseLoad.Validate();
        var workload = await LoadRunner.BuildWorkloadAsync(baseLoad, log).ConfigureAwait(false);

        using var transport = TransportFactory.Create(baseLoad);
        var sender = new PooledRequestSender(workload.Pool, transport);
        return await SearchAsync(options, baseLoad, workload, sender, time, log, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<GoodputResult> SearchAsync(
        GoodputOptions options, LoadOptions baseLoad, Workload workload, IRequestSender sender,
        TimeProvider time, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(baseLoad);
        ArgumentNullException.ThrowIfNull(workload);
        var sloMs = options.SloMs ?? baseLoad.SloMs ?? workload.ModelSloMs ?? DefaultSloMs;
        var c = CultureInfo.InvariantCulture;

        // The warm-up and every step carry on through the pool: no step opens with the requests another opened with.
        var continuing = new ContinuingSender(sender);
        await RunSession.WarmUpAsync(baseLoad, continuing, time, cancellationToken).ConfigureAwait(false);
        async Task<RunSummary> RunStep(double rate, int index, CancellationToken ct)
        {
            continuing.NextRun();
            if (index > 0 && options.Cooldown > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(options.Cooldown, time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return new RunSummary { Cancelled = true };
                }
            }

            var duration = options.StepDurationAt(rate);
            var stepLoad = baseLoad with
            {
                Schedule = new SteadySchedule(rate),
                Duration = duration,
                Seed = baseLoad.Seed + index,
                SloMs = sloMs,
                MaxRequests = Math.Max(baseLoad.MaxRequests, (long)Math.Ceiling(rate * duration.TotalSeconds * 2)),
            };
            var label = string.Create(c, $"step {index} @ {rate:0.#}/s ");
            var progress = baseLoad.Quiet ? null : new RunSession.ProgressTarget(log, Overwrite: ReferenceEquals(log, Console.Error) && !Console.IsErrorRedirected, label);
            var report = await RunSession.ExecuteAsync(stepLoad, workload, continuing, time, progress, ct).ConfigureAwait(false);
            if (options.OutputDirectory is { } dir)
            {
                ReportWriter.Write(Path.Combine(dir, "steps", string.Create(c, $"{index:00}-{rate:0.###}")), report, withPlots: false);
            }

            if (!baseLoad.Quiet)
            {
                var s = report.Summary;
                var verdict = GoodputSearch.Passes(s, sloMs, options.MaxErrorRate) ? "pass" : "fail";
                await log.WriteLineAsync(string.Create(c, $"step {index}: offered {rate:0.#}/s -> ok {s.AchievedRate:0.#}/s, p99 {s.LatencyMs.P99?.ToString("0.###", c) ?? "-"} ms (generator send lag p99 {s.SendLagMs.P99?.ToString("0.###", c) ?? "-"} ms), errors {s.ErrorRate * 100:0.###}%: {verdict}")).ConfigureAwait(false);
            }

            return report.Summary;
        }

        var result = await new GoodputSearch(options, sloMs).RunAsync(RunStep, cancellationToken).ConfigureAwait(false);
        result = result with
        {
            Model = baseLoad.Model,
            Transport = baseLoad.Transport == TransportKind.Rest ? "rest" : "grpc",
        };

        if (options.OutputDirectory is { } directory)
        {
            ReportJson.WriteFile(Path.Combine(directory, ResultFile), result);
            PlotRenderer.WriteGoodput(result.Steps, sloMs, result.GoodputRate, Path.Combine(directory, PlotFile));
        }

        return result;
    }

    /// <summary>The one-paragraph verdict printed at the end of a search.</summary>
    public static void Print(TextWriter writer, GoodputResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        var c = CultureInfo.InvariantCulture;
        if (result.GoodputRate is { } rate)
        {
            writer.WriteLine(string.Create(c,
                $"goodput at SLO (p99 <= {result.SloMs:0.###} ms, errors < {result.MaxErrorRate * 100:0.###}%): {rate:0.#} req/s offered, {result.AchievedRate:0.#} ok/s, {result.RowsPerSecond:0} rows/s, p99 {result.P99Ms:0.###} ms, of which up to {result.SendLagP99Ms?.ToString("0.###", c) ?? "-"} ms is the generator's send lag (its p99)"));
            if (result.HitMaxRate)
            {
                writer.WriteLine("the maximum rate passed: raise --max-rate to find the real limit");
            }
        }
        else
        {
            writer.WriteLine(string.Create(c, $"no offered rate met the SLO (p99 <= {result.SloMs:0.###} ms, errors < {result.MaxErrorRate * 100:0.###}%)"));
        }

        var longer = result.MinRequestsPerStep > 0 ? string.Create(c, $" (longer where that offers fewer than {result.MinRequestsPerStep} requests)") : "";
        writer.WriteLine(string.Create(c, $"{result.Steps.Count} steps of {result.StepDurationSeconds:0.###} s{longer}{(result.Cancelled ? ", cancelled" : "")}"));
    }
}
