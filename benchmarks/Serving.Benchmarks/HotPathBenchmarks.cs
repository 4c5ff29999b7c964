using System.Buffers;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>
/// The per-request CPU work of the server outside ONNX Runtime, for criteo-deepfm: reading the
/// serialized RankRequest (what gRPC Rank does before the handler runs: copy into a pooled buffer,
/// read the top-level fields), feature assembly straight from those bytes (validation, hashing,
/// transforms into pooled buffers), building + serializing the response, and for comparison
/// Google.Protobuf's full parse into a RankRequest (the path before the wire reader; REST still
/// parses JSON into one) and the client's serialization of the request. The per-candidate columns divide by <see cref="Candidates"/>; the
/// marginal column is the slope between the smallest and largest request, i.e. what one more
/// candidate costs once the fixed per-request part is taken out.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(HotPathConfig))]
public class HotPathBenchmarks
{
    private ModelSpec _spec = null!;
    private byte[] _serialized = null!;
    private ReadOnlySequence<byte> _payload;
    private WireRankRequest _wire = null!;
    private RankRequest _request = null!;
    private float[] _scores = null!;

    /// <summary>Candidates per request: a small request, the Criteo mean, the cap.</summary>
    [Params(10, 165, 1024)]
    public int Candidates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _spec = ModelConfigLoader.LoadFile(RepoPaths.DefaultModelConfig);
        _request = SyntheticRequests.Build(_spec, Candidates, seed: 42);
        _serialized = _request.ToByteArray();
        _payload = new ReadOnlySequence<byte>(_serialized);
        _wire = WireRankRequest.Read(_payload);
        _scores = new float[Candidates];
        for (var i = 0; i < _scores.Length; i++)
        {
            _scores[i] = i / (float)_scores.Length;
        }

        // Fill the array pool's buckets so the measured calls rent what earlier ones returned.
        for (var i = 0; i < 4; i++)
        {
            using var rows = FeatureAssembler.Assemble(_spec, _wire, 4096);
        }
    }

    [Benchmark(Description = "Parse")]
    public int Parse()
    {
        using var wire = WireRankRequest.Read(_payload);
        return wire.CandidateCount;
    }

    [Benchmark(Description = "Assemble")]
    public int Assemble()
    {
        using var rows = FeatureAssembler.Assemble(_spec, _wire, 4096);
        return rows.Rows;
    }

    /// <summary>Google.Protobuf's parse into objects, one string per categorical value (what gRPC Rank did before the wire reader).</summary>
    [Benchmark(Description = "Parse (protobuf objects)")]
    public RankRequest ParseObjects() => RankRequest.Parser.ParseFrom(_serialized);

    /// <summary>The client's side of the request (what the load generator pays per send, on its own core).</summary>
    [Benchmark(Description = "Serialize (client)")]
    public int Serialize() => _request.ToByteArray().Length;

    [GlobalCleanup]
    public void Cleanup() => _wire.Dispose();

    [Benchmark(Description = "Respond")]
    public int Respond()
    {
        var response = new RankResponse
        {
            Model = _spec.Name,
            Version = "1",
            RequestId = _request.RequestId,
            Timing = new Timing { Device = "cpu", BatchRows = 256, QueueMs = 0.5, ComputeMs = 1.5, TotalMs = 2.5 },
        };
        response.Scores.Add(_scores);
        return response.ToByteArray().Length;
    }
}
