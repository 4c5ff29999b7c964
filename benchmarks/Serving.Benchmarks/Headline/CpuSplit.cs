namespace Serving.Benchmarks;

/// <summary>
/// Where a request's server CPU goes at a fixed load (µs per request, P1b). Measured: the server's
/// CPU per Rank call (process CPU less idle ÷ calls), the transport floor's CPU per call at the same
/// rate and the same request bytes, parse and assembly in-process, and ONNX Runtime's time from the
/// server's compute metric. Batching is what is left: the queue, dispatch, completions, response
/// scores and GC that the other three do not hold. Raw ONNX Runtime for the same rows is the model's
/// own cost at the batch size the server ran, in a tight loop.
/// </summary>
internal sealed record CpuSplit(
    double ServerUs,
    double TransportFloorUs,
    double ParseAssemblyUs,
    double BatchingUs,
    double OnnxRuntimeUs,
    double RawOrtUsForRows)
{
    /// <summary>P1b: server CPU per request ÷ (transport floor + raw ONNX Runtime for its rows); goal ≤ 1.5.</summary>
    public double ServerOverFloorPlusRawOrt => ServerUs / (TransportFloorUs + RawOrtUsForRows);

    /// <summary>The split, or null when any measurement is missing.</summary>
    /// <param name="serverUs">Server CPU µs per OK Rank call.</param>
    /// <param name="transportFloorUs">Server CPU µs per OK transport-floor call at the same rate.</param>
    /// <param name="parseAssemblyUs">Wire read + feature assembly µs per request, in-process.</param>
    /// <param name="onnxRuntimeUs">ONNX Runtime µs per request in the server (compute sum ÷ calls).</param>
    /// <param name="rowsPerRequest">Mean candidates per request.</param>
    /// <param name="rawOrtUsPerRow">Raw ONNX Runtime µs per row at the server's mean batch size.</param>
    public static CpuSplit? From(double? serverUs, double? transportFloorUs, double? parseAssemblyUs, double? onnxRuntimeUs, double? rowsPerRequest, double? rawOrtUsPerRow)
    {
        if (serverUs is not { } server || transportFloorUs is not { } floor || parseAssemblyUs is not { } parse
            || onnxRuntimeUs is not { } ort || rowsPerRequest is not { } rows || rawOrtUsPerRow is not { } raw)
        {
            return null;
        }

        return new CpuSplit(server, floor, parse, server - floor - parse - ort, ort, rows * raw);
    }
}
