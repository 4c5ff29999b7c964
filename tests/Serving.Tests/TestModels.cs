using Serving.Models;

namespace Serving.Tests;

/// <summary>Small model specs built from config JSON, for tests that need no ONNX graph.</summary>
internal static class TestModels
{
    /// <summary>Two dense features (log1p, identity) and two sparse features, over two inputs.</summary>
    public const string TinyConfig = """
        {
          "name": "tiny",
          "hashSeed": 7,
          "inputs": [
            { "name": "dense", "type": "float32", "columns": 2 },
            { "name": "sparse", "type": "int64", "columns": 2 }
          ],
          "output": { "name": "ctr" },
          "features": [
            { "name": "d0", "kind": "dense", "input": "dense", "column": 0, "transform": "log1p", "default": 0 },
            { "name": "d1", "kind": "dense", "input": "dense", "column": 1, "transform": "identity", "default": -1.5 },
            { "name": "s0", "kind": "sparse", "input": "sparse", "column": 0, "hash": "xxhash64", "buckets": 1000, "default": 0 },
            { "name": "s1", "kind": "sparse", "input": "sparse", "column": 1, "hash": "xxhash64", "buckets": 50, "default": 3 }
          ],
          "sloP99Ms": 10
        }
        """;

    public static ModelSpec Tiny() => ModelConfigLoader.Parse(TinyConfig, "tiny/config.json");
}
