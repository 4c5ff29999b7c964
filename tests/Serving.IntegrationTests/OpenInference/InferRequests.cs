using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Serving.Contracts.Inference.V2;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests.OpenInference;

/// <summary>A Rank request's rows as an Open Inference Protocol request: one tensor per feature column.</summary>
internal static class InferRequests
{
    /// <summary>Typed contents (as KServe's clients send them).</summary>
    public static ModelInferRequest Typed(RankRequest rank)
    {
        var request = Header(rank);
        foreach (var column in rank.Candidates.Sparse)
        {
            request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor
            {
                Name = column.Name,
                Datatype = "BYTES",
                Shape = { column.Values.Count },
                Contents = new InferTensorContents { BytesContents = { column.Values.Select(ByteString.CopyFromUtf8) } },
            });
        }

        foreach (var column in rank.Candidates.Dense)
        {
            request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor
            {
                Name = column.Name,
                Datatype = "FP32",
                Shape = { column.Values.Count, 1 },
                Contents = new InferTensorContents { Fp32Contents = { column.Values } },
            });
        }

        return request;
    }

    /// <summary>Raw contents (as Triton's clients send them): little-endian elements, BYTES length-prefixed.</summary>
    public static ModelInferRequest Raw(RankRequest rank)
    {
        var request = Header(rank);
        foreach (var column in rank.Candidates.Sparse)
        {
            request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = column.Name, Datatype = "BYTES", Shape = { column.Values.Count } });
            using var bytes = new MemoryStream();
            foreach (var value in column.Values)
            {
                var utf8 = Encoding.UTF8.GetBytes(value);
                var length = new byte[4];
                BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
                bytes.Write(length);
                bytes.Write(utf8);
            }

            request.RawInputContents.Add(ByteString.CopyFrom(bytes.ToArray()));
        }

        foreach (var column in rank.Candidates.Dense)
        {
            request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = column.Name, Datatype = "FP32", Shape = { column.Values.Count } });
            var bytes = new byte[column.Values.Count * 4];
            for (var i = 0; i < column.Values.Count; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), column.Values[i]);
            }

            request.RawInputContents.Add(ByteString.CopyFrom(bytes));
        }

        return request;
    }

    /// <summary>The <c>ctr</c> output's scores, from raw little-endian bytes.</summary>
    public static float[] Scores(ModelInferResponse response)
    {
        var output = Assert.Single(response.Outputs);
        Assert.Equal(("ctr", "FP32"), (output.Name, output.Datatype));
        var raw = Assert.Single(response.RawOutputContents).Span;
        var scores = new float[raw.Length / 4];
        for (var i = 0; i < scores.Length; i++)
        {
            scores[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
        }

        Assert.Equal([scores.Length], output.Shape);
        return scores;
    }

    /// <summary>The Rank request's columns as JSON for the Python client: name, datatype, elements (NaN as the token Python reads).</summary>
    public static string Json(RankRequest rank) => JsonBody(rank, missing: "NaN", withShapes: false, header: $"\"model\": \"{rank.Model}\", ");

    /// <summary>The protocol's REST body for the Rank request's columns (a missing number as null: JSON has no NaN).</summary>
    public static string RestBody(RankRequest rank) => JsonBody(rank, missing: "null", withShapes: true, header: "");

    private static string JsonBody(RankRequest rank, string missing, bool withShapes, string header)
    {
        var c = CultureInfo.InvariantCulture;
        string Shape(int count, bool column) => withShapes ? $"\"shape\": [{count}{(column ? ", 1" : "")}], " : "";
        var inputs = rank.Candidates.Sparse
            .Select(s => $"{{\"name\": \"{s.Name}\", {Shape(s.Values.Count, false)}\"datatype\": \"BYTES\", \"data\": [{string.Join(", ", s.Values.Select(v => $"\"{v}\""))}]}}")
            .Concat(rank.Candidates.Dense.Select(d => $"{{\"name\": \"{d.Name}\", {Shape(d.Values.Count, true)}\"datatype\": \"FP32\", \"data\": [{string.Join(", ", d.Values.Select(v => float.IsNaN(v) ? missing : v.ToString("R", c)))}]}}"));
        return $"{{{header}\"id\": \"{rank.RequestId}\", \"inputs\": [{string.Join(", ", inputs)}]}}";
    }

    private static ModelInferRequest Header(RankRequest rank) => new() { ModelName = rank.Model, ModelVersion = rank.Version, Id = rank.RequestId };
}
