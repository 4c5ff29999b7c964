using Google.Protobuf.Collections;
using Serving.Contracts.Ranking.V1;
using Serving.Models;
using FeatureKind = Serving.Models.FeatureKind;

namespace Serving.Features;

/// <summary>
/// Turns a columnar request into the model's input rows: validates every column, hashes and
/// transforms values straight into pooled buffers, computes each context value once and broadcasts
/// it, and writes defaults for features the request lacks. No allocation per candidate.
/// </summary>
public static class FeatureAssembler
{
    /// <summary>Validates <paramref name="request"/> against <paramref name="spec"/> and assembles its rows.</summary>
    public static FeatureRows Assemble(ModelSpec spec, RankRequest request, int maxCandidates)
    {
        var rows = request.CandidateCount;
        if (rows < 1)
        {
            throw new InvalidRequestException("candidate_count", $"must be >= 1, got {rows}");
        }

        if (rows > maxCandidates)
        {
            throw new InvalidRequestException("candidate_count", $"must be <= {maxCandidates}, got {rows}");
        }

        var featureCount = spec.Features.Count;
        var seen = featureCount <= 512 ? stackalloc bool[featureCount] : new bool[featureCount];
        var output = FeatureRows.Rent(spec.Inputs, rows);
        try
        {
            if (request.Context is { } context)
            {
                WriteSparse(spec, context.Sparse, "context.sparse", 1, output, seen);
                WriteDense(spec, context.Dense, "context.dense", 1, output, seen);
            }

            if (request.Candidates is { } candidates)
            {
                WriteSparse(spec, candidates.Sparse, "candidates.sparse", rows, output, seen);
                WriteDense(spec, candidates.Dense, "candidates.dense", rows, output, seen);
            }

            for (var i = 0; i < featureCount; i++)
            {
                if (!seen[i])
                {
                    WriteDefault(spec.Features[i], output);
                }
            }

            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static FeatureSpec Resolve(ModelSpec spec, string name, string prefix, int c, FeatureKind expected, Span<bool> seen)
    {
        if (name.Length == 0)
        {
            throw new InvalidRequestException($"{prefix}[{c}].name", "is required");
        }

        if (!spec.FeaturesByName.TryGetValue(name, out var feature))
        {
            throw new InvalidRequestException($"{prefix}[{c}].name", $"unknown feature '{name}' for model '{spec.Name}'");
        }

        if (feature.Kind != expected)
        {
            var kind = feature.Kind == FeatureKind.Sparse ? "sparse" : "dense";
            throw new InvalidRequestException(Field(prefix, c, name), $"feature '{name}' is {kind}; send it as a {kind} column");
        }

        if (seen[feature.Index])
        {
            throw new InvalidRequestException(Field(prefix, c, name), $"feature '{name}' is sent more than once (in context and candidates, or twice)");
        }

        seen[feature.Index] = true;
        return feature;
    }

    private static void WriteSparse(ModelSpec spec, RepeatedField<SparseColumn> columns, string prefix, int expected, FeatureRows output, Span<bool> seen)
    {
        for (var c = 0; c < columns.Count; c++)
        {
            var column = columns[c];
            var feature = Resolve(spec, column.Name, prefix, c, FeatureKind.Sparse, seen);
            var hasValues = column.Values.Count > 0;
            var hasIds = column.Ids.Count > 0;
            if (hasValues == hasIds)
            {
                throw new InvalidRequestException(Field(prefix, c, column.Name), "set exactly one of 'values' (raw strings) or 'ids' (pre-hashed)");
            }

            var count = hasValues ? column.Values.Count : column.Ids.Count;
            if (count != expected)
            {
                throw new InvalidRequestException(Field(prefix, c, column.Name), CountProblem(prefix, expected, count));
            }

            var target = output.Int64(feature.InputIndex);
            var stride = output.Inputs[feature.InputIndex].Columns;
            if (expected == 1 && output.Rows > 1)
            {
                var bucket = hasValues ? EncodeValue(spec, feature, column.Values[0]) : EncodeId(feature, column.Ids[0]);
                Fill(target, feature.Column, stride, bucket);
                continue;
            }

            if (hasValues)
            {
                var values = column.Values;
                for (var r = 0; r < count; r++)
                {
                    target[(r * stride) + feature.Column] = EncodeValue(spec, feature, values[r]);
                }
            }
            else
            {
                var ids = column.Ids;
                for (var r = 0; r < count; r++)
                {
                    target[(r * stride) + feature.Column] = EncodeId(feature, ids[r]);
                }
            }
        }
    }

    private static void WriteDense(ModelSpec spec, RepeatedField<DenseColumn> columns, string prefix, int expected, FeatureRows output, Span<bool> seen)
    {
        for (var c = 0; c < columns.Count; c++)
        {
            var column = columns[c];
            var feature = Resolve(spec, column.Name, prefix, c, FeatureKind.Dense, seen);
            var values = column.Values;
            if (values.Count != expected)
            {
                throw new InvalidRequestException($"{Field(prefix, c, column.Name)}.values", CountProblem(prefix, expected, values.Count));
            }

            var target = output.Float32(feature.InputIndex);
            var stride = output.Inputs[feature.InputIndex].Columns;
            for (var r = 0; r < values.Count; r++)
            {
                if (float.IsInfinity(values[r]))
                {
                    throw new InvalidRequestException($"{Field(prefix, c, column.Name)}.values[{r}]", "must be finite (send NaN for a missing value)");
                }
            }

            if (expected == 1 && output.Rows > 1)
            {
                Fill(target, feature.Column, stride, DenseTransforms.Encode(values[0], feature.Transform, feature.DefaultValue));
                continue;
            }

            for (var r = 0; r < values.Count; r++)
            {
                target[(r * stride) + feature.Column] = DenseTransforms.Encode(values[r], feature.Transform, feature.DefaultValue);
            }
        }
    }

    private static void WriteDefault(FeatureSpec feature, FeatureRows output)
    {
        var stride = output.Inputs[feature.InputIndex].Columns;
        if (feature.Kind == FeatureKind.Sparse)
        {
            Fill(output.Int64(feature.InputIndex), feature.Column, stride, feature.DefaultBucket);
        }
        else
        {
            Fill(output.Float32(feature.InputIndex), feature.Column, stride, DenseTransforms.Encode(float.NaN, feature.Transform, feature.DefaultValue));
        }
    }

    private static string Field(string prefix, int c, string name) => $"{prefix}[{c}] ('{name}')";

    private static long EncodeValue(ModelSpec spec, FeatureSpec feature, string value) =>
        FeatureHasher.Bucket(value, spec.HashSeed, feature.Buckets, feature.DefaultBucket);

    private static long EncodeId(FeatureSpec feature, long id) =>
        FeatureHasher.Bucket(unchecked((ulong)id), feature.Buckets);

    private static void Fill<T>(Span<T> target, int column, int stride, T value)
    {
        for (var i = column; i < target.Length; i += stride)
        {
            target[i] = value;
        }
    }

    private static string CountProblem(string prefix, int expected, int actual) =>
        prefix.StartsWith("context", StringComparison.Ordinal)
            ? $"a context column carries exactly 1 value (applied to every candidate), got {actual}"
            : $"has {actual} values; candidate_count is {expected}";
}
