using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Serving.Contracts.Inference.V2;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Models;

namespace Serving.Api.OpenInference;

/// <summary>
/// Translates an Open Inference Protocol (v2) call to a <see cref="RankRequest"/> and its answer
/// back. Each input tensor is one feature, named as in the model's config: <c>BYTES</c> for
/// categorical values, <c>INT64</c> for pre-hashed ids, <c>FP32</c> (or <c>FP64</c>) for numeric
/// ones. A tensor of shape <c>[N]</c> (or <c>[N, 1]</c>) has one element per candidate; one of
/// shape <c>[1]</c> beside them is context, shared by every candidate. The output <c>ctr</c> is
/// <c>FP32 [N]</c>. Triton's <c>timeout</c> parameter (µs) becomes the budget and its
/// <c>priority</c> (0 or 1: normal, 2 and above: best effort) the priority. Problems are
/// <see cref="InvalidRequestException"/>s naming the tensor (<c>inputs[2] ('C1')</c>).
/// </summary>
internal static class InferRequestMapping
{
    public const string OutputName = "ctr";
    public const string OutputDatatype = "FP32";
    public const string TimeoutParameter = "timeout";
    public const string PriorityParameter = "priority";

    /// <summary>The datatype a feature's tensor has in the model's metadata.</summary>
    public static string DatatypeOf(FeatureSpec feature) => feature.Kind == Models.FeatureKind.Sparse ? "BYTES" : "FP32";

    public static RankRequest ToRankRequest(ModelInferRequest request, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(spec);
        if (request.Inputs.Count == 0)
        {
            throw new InvalidRequestException("inputs", "are required: one tensor per feature");
        }

        var raw = request.RawInputContents.Count > 0;
        if (raw && request.RawInputContents.Count != request.Inputs.Count)
        {
            throw new InvalidRequestException("raw_input_contents", $"has {request.RawInputContents.Count} entries for {request.Inputs.Count} inputs (one per input, in order)");
        }

        var tensors = new List<(string Field, FeatureSpec Feature, int Elements, Column Column)>(request.Inputs.Count);
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            var field = $"inputs[{i}] ({ClientText.Quote(input.Name)})";
            if (!spec.FeaturesByName.TryGetValue(input.Name, out var feature))
            {
                throw new InvalidRequestException(field, $"is not a feature of model '{spec.Name}' (its inputs are listed by its metadata: GET /v2/models/{spec.Name})");
            }

            if (raw && input.Contents is not null && HasElements(input.Contents))
            {
                throw new InvalidRequestException(field + ".contents", "must be empty when raw_input_contents is used");
            }

            var elements = Elements(field, input.Shape);
            var column = Read(field, input, feature, raw ? request.RawInputContents[i] : null);
            if (column.Count != elements)
            {
                throw new InvalidRequestException(field, $"has {column.Count} elements for shape [{string.Join(", ", input.Shape)}]");
            }

            tensors.Add((field, feature, elements, column));
        }

        var candidates = tensors.Max(t => t.Elements);
        var rank = new RankRequest
        {
            Model = request.ModelName,
            Version = request.ModelVersion,
            RequestId = request.Id,
            CandidateCount = candidates,
            Context = new Contracts.Ranking.V1.Features(),
            Candidates = new Contracts.Ranking.V1.Features(),
            BudgetMs = BudgetMs(request),
            Priority = PriorityOf(request),
        };
        foreach (var (field, feature, elements, column) in tensors)
        {
            var target = elements == candidates ? rank.Candidates : elements == 1 ? rank.Context : null;
            if (target is null)
            {
                throw new InvalidRequestException(field, $"has {elements} elements: expected {candidates} (one per candidate, as the largest input) or 1 (context, shared by every candidate)");
            }

            column.AddTo(target, feature.Name);
        }

        foreach (var (output, j) in request.Outputs.Select((o, j) => (o, j)))
        {
            if (output.Name != OutputName)
            {
                throw new InvalidRequestException($"outputs[{j}] ({ClientText.Quote(output.Name)})", $"is not an output of model '{spec.Name}' (it has one: '{OutputName}')");
            }
        }

        return rank;
    }

    /// <summary>The Rank answer as the protocol's response: <c>ctr</c>, FP32 [N], in raw little-endian bytes (as Triton answers, which its clients read).</summary>
    public static ModelInferResponse ToInferResponse(RankResponse response, string id)
    {
        ArgumentNullException.ThrowIfNull(response);
        var scores = response.Scores;
        var bytes = new byte[scores.Count * sizeof(float)];
        for (var r = 0; r < scores.Count; r++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(r * sizeof(float)), scores[r]);
        }

        return new ModelInferResponse
        {
            ModelName = response.Model,
            ModelVersion = response.Version,
            Id = id,
            Outputs = { new ModelInferResponse.Types.InferOutputTensor { Name = OutputName, Datatype = OutputDatatype, Shape = { scores.Count } } },
            RawOutputContents = { ByteString.CopyFrom(bytes) },
        };
    }

    /// <summary>Triton's <c>timeout</c> (µs) as whole milliseconds, rounded up; 0 (the model's SLO) without it.</summary>
    private static uint BudgetMs(ModelInferRequest request)
    {
        if (!request.Parameters.TryGetValue(TimeoutParameter, out var timeout))
        {
            return 0;
        }

        var micros = Number(timeout, "parameters['timeout']");
        return micros <= 0
            ? throw new InvalidRequestException("parameters['timeout']", "must be a positive number of microseconds")
            : (uint)Math.Min(Math.Ceiling(micros / 1000), uint.MaxValue);
    }

    /// <summary>The call's priority for the admission gate; normal when its parameter is missing or malformed (refused later, naming it).</summary>
    public static Priority PriorityOrNormal(ModelInferRequest request)
    {
        try
        {
            return PriorityOf(request);
        }
        catch (InvalidRequestException)
        {
            return Priority.Normal;
        }
    }

    private static Priority PriorityOf(ModelInferRequest request)
    {
        if (!request.Parameters.TryGetValue(PriorityParameter, out var priority))
        {
            return Priority.Normal;
        }

        var level = Number(priority, "parameters['priority']");
        return level < 0
            ? throw new InvalidRequestException("parameters['priority']", "must be 0 or more (0 and 1: normal; 2 and more: best effort)")
            : level >= 2 ? Priority.BestEffort : Priority.Normal;
    }

    private static double Number(InferParameter parameter, string field) => parameter.ParameterChoiceCase switch
    {
        InferParameter.ParameterChoiceOneofCase.Int64Param => parameter.Int64Param,
        InferParameter.ParameterChoiceOneofCase.Uint64Param => parameter.Uint64Param,
        InferParameter.ParameterChoiceOneofCase.DoubleParam => parameter.DoubleParam,
        InferParameter.ParameterChoiceOneofCase.StringParam when double.TryParse(parameter.StringParam, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new InvalidRequestException(field, "must be a number"),
    };

    /// <summary>The element count of a shape [N] or [N, 1].</summary>
    private static int Elements(string field, Google.Protobuf.Collections.RepeatedField<long> shape)
    {
        var valid = shape.Count switch
        {
            1 => shape[0] >= 1,
            2 => shape[0] >= 1 && shape[1] == 1,
            _ => false,
        };
        return !valid || shape[0] > int.MaxValue
            ? throw new InvalidRequestException(field + ".shape", $"is [{string.Join(", ", shape)}]: expected [N] or [N, 1] with N >= 1")
            : (int)shape[0];
    }

    private static bool HasElements(InferTensorContents c) =>
        c.BytesContents.Count + c.Int64Contents.Count + c.Fp32Contents.Count + c.Fp64Contents.Count + c.IntContents.Count
        + c.UintContents.Count + c.Uint64Contents.Count + c.BoolContents.Count > 0;

    private static Column Read(string field, ModelInferRequest.Types.InferInputTensor input, FeatureSpec feature, ByteString? raw)
    {
        var sparse = feature.Kind == Models.FeatureKind.Sparse;
        var wanted = sparse ? "BYTES (values) or INT64 (pre-hashed ids)" : "FP32 or FP64";
        return (input.Datatype, sparse) switch
        {
            ("BYTES", true) => Column.Values(raw is null ? input.Contents?.BytesContents.Select(b => WireRankRequest.Utf8String(b.Span, field)).ToList() ?? [] : RawBytes(field, raw)),
            ("INT64", true) => Column.Ids(raw is null ? [.. input.Contents?.Int64Contents ?? []] : RawFixed<long>(field, raw)),
            ("FP32", false) => Column.Dense(raw is null ? [.. input.Contents?.Fp32Contents ?? []] : RawFixed<float>(field, raw)),
            ("FP64", false) => Column.Dense(raw is null ? [.. (input.Contents?.Fp64Contents ?? []).Select(d => (float)d)] : [.. RawFixed<double>(field, raw).Select(d => (float)d)]),
            _ => throw new InvalidRequestException(field + ".datatype", $"is {ClientText.Quote(input.Datatype)}: feature '{feature.Name}' takes {wanted}"),
        };
    }

    /// <summary>Raw fixed-size elements, little-endian as the protocol specifies (so is this machine: checked at start).</summary>
    private static List<T> RawFixed<T>(string field, ByteString raw)
        where T : unmanaged
    {
        var size = Marshal.SizeOf<T>();
        return raw.Length % size != 0
            ? throw new InvalidRequestException(field, $"raw contents of {raw.Length} bytes are not a whole number of {size}-byte elements")
            : [.. MemoryMarshal.Cast<byte, T>(raw.Span)];
    }

    /// <summary>Raw BYTES elements: each a 4-byte little-endian length, then that many bytes.</summary>
    private static List<string> RawBytes(string field, ByteString raw)
    {
        var values = new List<string>();
        var span = raw.Span;
        while (span.Length > 0)
        {
            if (span.Length < 4 || BinaryPrimitives.ReadUInt32LittleEndian(span) is var length && length > span.Length - 4)
            {
                throw new InvalidRequestException(field, "raw BYTES contents are cut short (each element is a 4-byte little-endian length, then its bytes)");
            }

            values.Add(WireRankRequest.Utf8String(span.Slice(4, (int)length), field));
            span = span[(4 + (int)length)..];
        }

        return values;
    }

    /// <summary>One tensor's elements, ready to become a Rank column.</summary>
    private sealed class Column
    {
        private List<string>? _values;
        private List<long>? _ids;
        private List<float>? _dense;

        public int Count => _values?.Count ?? _ids?.Count ?? _dense!.Count;

        public static Column Values(List<string> values) => new() { _values = values };

        public static Column Ids(List<long> ids) => new() { _ids = ids };

        public static Column Dense(List<float> values) => new() { _dense = values };

        public void AddTo(Contracts.Ranking.V1.Features features, string name)
        {
            if (_dense is not null)
            {
                features.Dense.Add(new DenseColumn { Name = name, Values = { _dense } });
            }
            else
            {
                var column = new SparseColumn { Name = name };
                if (_values is not null)
                {
                    column.Values.Add(_values);
                }
                else
                {
                    column.Ids.Add(_ids!);
                }

                features.Sparse.Add(column);
            }
        }
    }
}
