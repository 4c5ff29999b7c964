using System.Text.Json.Serialization;

namespace Serving.Benchmarks;

/// <summary>
/// raw-ort.json: ONNX Runtime's own rows/s by batch size on one core. Written by
/// <see cref="RawOrtCommand"/>, read by <see cref="ReportCommand"/> and copied whole into results.json.
/// </summary>
internal sealed record RawOrtResult
{
    public string Model { get; init; } = "";

    public string Version { get; init; } = "";

    /// <summary>The model file, relative to the repository.</summary>
    public string ModelPath { get; init; } = "";

    public string OnnxRuntimeVersion { get; init; } = "";

    public int IntraOpThreads { get; init; }

    public double SecondsPerBatchSize { get; init; }

    /// <summary>Where the rows came from: synthetic, or the data file and how many requests were rotated.</summary>
    public string Data { get; init; } = "";

    /// <summary>The cores the process could run on, e.g. <c>0</c> under taskset.</summary>
    public string ProcessorAffinity { get; init; } = "";

    public int BestBatchRows { get; init; }

    public double BestRowsPerSecond { get; init; }

    public IReadOnlyList<RawOrtBatchSize> Sizes { get; init; } = [];

    /// <summary>The measured size that gave <see cref="BestRowsPerSecond"/>, if listed.</summary>
    [JsonIgnore]
    public RawOrtBatchSize? Best => Sizes.FirstOrDefault(s => s.BatchRows == BestBatchRows);
}

/// <summary>One batch size of the raw loop: rows/s of ONNX Runtime time and the per-run times in ms.</summary>
internal sealed record RawOrtBatchSize(int BatchRows, int Runs, double RowsPerSecond, double MeanMs, double P50Ms, double P99Ms);
