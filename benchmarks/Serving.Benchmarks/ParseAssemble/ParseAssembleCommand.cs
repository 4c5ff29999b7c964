using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Serving.Features;
using Serving.Features.Wire;
using Serving.LoadTest.Commands;
using Serving.LoadTest.Reporting;
using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>
/// <c>parse-assemble</c>: the server's per-request work before batching, in-process on the calling
/// thread (pin it with taskset): gRPC Rank's wire read (<see cref="WireRankRequest.Read"/>: copy
/// into a pooled buffer, top-level fields) and feature assembly (<c>FeatureAssembler.Assemble</c>), over the
/// probe's request pool (same candidates, data and seed, so the same requests a probe sends), for
/// a fixed time. scripts/headline.sh takes its µs per request as the "parse and assembly" share of
/// the half-load CPU split; a quick loop, not BenchmarkDotNet, so it fits in every repetition.
/// </summary>
internal static class ParseAssembleCommand
{
    /// <summary>The probe's pool size: with the same candidates, data and seed, the same requests (and the same mean size) as a probe sends.</summary>
    private const int PoolSize = 1024;

    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "The model's config.json", HelpName = "path", DefaultValueFactory = _ => RepoPaths.DefaultModelConfig };
        var candidates = new Option<string>("--candidates") { Description = "fixed:N or lognormal:MEAN,SIGMA,MAX, as the probe takes it", DefaultValueFactory = _ => "lognormal:165,1.0,1024" };
        var data = new Option<string?>("--data") { Description = "Criteo .txt to replay; default: synthesise from the model spec", HelpName = "path" };
        var seconds = new Option<double>("--seconds") { Description = "Timed seconds", DefaultValueFactory = _ => 2 };
        var seed = CommonOptions.SeedOption("Seeds request sizes (the probe's default is 1)");
        var output = new Option<string?>("--out") { Description = "Write the result as JSON to this file", HelpName = "file" };
        var command = new Command("parse-assemble", "Wire read + feature assembly of the probe's requests in a tight loop: µs per request (pin with taskset)");
        OptionParsers.AddAll(command, config, candidates, data, seconds, seed, output);
        command.SetAction((parseResult, _) => CommandErrors.GuardAsync(() =>
        {
            var result = Run(parseResult.GetValue(config)!, parseResult.GetValue(candidates)!, parseResult.GetValue(data), parseResult.GetValue(seconds), parseResult.GetValue(seed));
            if (parseResult.GetValue(output) is { } path)
            {
                ReportJson.WriteFile(path, result);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"parse + assembly: {result.UsPerRequest:0.##} µs per request ({result.MeanCandidatesPerRequest:0.#} candidates on average, {result.Requests} requests)"));
            return Task.FromResult(0);
        }));
        return command;
    }

    public static ParseAssembleResult Run(string configPath, string candidates, string? dataPath, double seconds, int seed)
    {
        var spec = ModelConfigLoader.LoadFile(configPath);
        var requests = ProbeWorkload.Build(spec, candidates, dataPath, PoolSize, seed);
        var payloads = requests.Select(r => new ReadOnlySequence<byte>(r.ToByteArray())).ToArray();
        var counts = requests.Select(r => r.CandidateCount).ToArray();

        // One untimed pass: the array pool's buckets fill as the server's do under load.
        for (var i = 0; i < payloads.Length; i++)
        {
            Once(spec, payloads[i]);
        }

        var budget = Stopwatch.Frequency * seconds;
        long done = 0, rows = 0;
        var start = Stopwatch.GetTimestamp();
        long elapsed;
        do
        {
            var i = (int)(done % payloads.Length);
            Once(spec, payloads[i]);
            rows += counts[i];
            done++;
            elapsed = Stopwatch.GetTimestamp() - start;
        }
        while (elapsed < budget);

        var totalSeconds = (double)elapsed / Stopwatch.Frequency;
        return new ParseAssembleResult
        {
            Model = spec.Name,
            Candidates = candidates,
            Workload = dataPath is null ? "synthetic" : "replay " + Path.GetFileName(dataPath),
            Requests = done,
            Seconds = Math.Round(totalSeconds, 3),
            MeanCandidatesPerRequest = Math.Round((double)rows / done, 2),
            UsPerRequest = Math.Round(totalSeconds * 1e6 / done, 3),
        };
    }

    private static void Once(ModelSpec spec, ReadOnlySequence<byte> payload)
    {
        using var wire = WireRankRequest.Read(payload);
        using var rows = FeatureAssembler.Assemble(spec, wire, 4096); // the server's default Serving:MaxCandidatesPerRequest
    }
}

/// <summary>parse-assemble.json: µs of wire read + feature assembly per request, in-process on one core.</summary>
internal sealed record ParseAssembleResult
{
    public string Model { get; init; } = "";

    public string Candidates { get; init; } = "";

    public string Workload { get; init; } = "";

    public long Requests { get; init; }

    public double Seconds { get; init; }

    public double MeanCandidatesPerRequest { get; init; }

    public double UsPerRequest { get; init; }
}
