using System.Text;
using System.Text.Unicode;
using Serving.Contracts.Ranking.V1;
using Serving.Features.Wire;
using Serving.Models;
using FeatureKind = Serving.Models.FeatureKind;

namespace Serving.Features;

/// <summary>
/// Turns a columnar request into the model's input rows: validates every column, hashes and
/// transforms values straight from the request's wire bytes into pooled buffers, computes each
/// context value once and broadcasts it, and writes defaults for features the request lacks. No
/// allocation per candidate, and no string per categorical value: each is hashed as the UTF-8 it
/// arrived in.
/// </summary>
public static class FeatureAssembler
{
    /// <summary>Validates <paramref name="request"/> against <paramref name="spec"/> and assembles its rows.</summary>
    public static FeatureRows Assemble(ModelSpec spec, WireRankRequest request, int maxCandidates)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Problem is { } problem)
        {
            throw problem;
        }

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
            var target = new Target(spec, output, seen);
            WriteColumns(request, request.Context, Section.Context, 1, ref target);
            WriteColumns(request, request.Candidates, Section.Candidates, rows, ref target);
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

    /// <summary>Assembles an already parsed request (serialized first, so it takes the wire path).</summary>
    public static FeatureRows Assemble(ModelSpec spec, RankRequest request, int maxCandidates)
    {
        using var wire = WireRankRequest.From(request);
        return Assemble(spec, wire, maxCandidates);
    }

    /// <summary>Walks one <c>Features</c> message (in all its parts), writing each column as it comes.</summary>
    private static void WriteColumns(WireRankRequest request, IReadOnlyList<Range> parts, Section section, int expected, ref Target target)
    {
        var columns = new WireColumns(request, parts);
        while (true)
        {
            try
            {
                if (!columns.MoveNext())
                {
                    return;
                }
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidRequestException(section.Name, $"is not a valid serialized Features message ({ex.Message})");
            }

            var column = columns.Current;
            WriteColumn(column, new ColumnAt(column.IsDense ? section.Dense : section.Sparse, column.Index, expected), ref target);
        }
    }

    /// <summary>Writes one column; malformed bytes inside it are an error naming the column.</summary>
    private static void WriteColumn(WireColumn column, ColumnAt at, ref Target target)
    {
        try
        {
            if (column.IsDense)
            {
                WriteDense(column, at, ref target);
            }
            else
            {
                WriteSparse(column, at, ref target);
            }
        }
        catch (InvalidDataException ex)
        {
            throw at.Malformed(ex);
        }
    }

    private static void WriteSparse(WireColumn column, ColumnAt at, ref Target target)
    {
        var scan = column.Scan();
        var feature = target.Resolve(scan.Name, at, FeatureKind.Sparse);
        if ((scan.Values > 0) == (scan.Ids > 0))
        {
            throw at.Invalid(feature.Name, "set exactly one of 'values' (raw strings) or 'ids' (pre-hashed)");
        }

        var count = scan.Values + scan.Ids;
        if (count != at.Expected)
        {
            throw at.Invalid(feature.Name, at.CountProblem(count));
        }

        var output = target.Output.Int64(feature.InputIndex);
        var stride = target.Output.Inputs[feature.InputIndex].Columns;
        var broadcast = at.Expected == 1 && target.Output.Rows > 1;
        var seed = target.Spec.HashSeed;
        var r = 0;
        if (scan.Ids > 0)
        {
            foreach (var id in column.Ids)
            {
                Write(output, stride, feature.Column, r++, broadcast, FeatureHasher.Bucket(id, feature.Buckets));
            }

            return;
        }

        var ascii = Ascii.IsValid(column.Bytes); // then every value is valid UTF-8; one vectorized pass instead of one check per value
        foreach (var utf8 in column.Strings)
        {
            if (!ascii && !Utf8.IsValid(utf8))
            {
                throw new InvalidRequestException($"{at.Field(feature.Name)}.values[{r}]", "is not valid UTF-8");
            }

            Write(output, stride, feature.Column, r++, broadcast, FeatureHasher.Bucket(utf8, seed, feature.Buckets, feature.DefaultBucket));
        }
    }

    private static void WriteDense(WireColumn column, ColumnAt at, ref Target target)
    {
        var scan = column.Scan();
        var feature = target.Resolve(scan.Name, at, FeatureKind.Dense);
        if (scan.Values != at.Expected)
        {
            throw new InvalidRequestException($"{at.Field(feature.Name)}.values", at.CountProblem(scan.Values));
        }

        var output = target.Output.Float32(feature.InputIndex);
        var stride = target.Output.Inputs[feature.InputIndex].Columns;
        var broadcast = at.Expected == 1 && target.Output.Rows > 1;
        var r = 0;
        foreach (var value in column.Floats)
        {
            Write(output, stride, feature.Column, r, broadcast, Encode(feature, value, at, r));
            r++;
        }
    }

    private static float Encode(FeatureSpec feature, float value, ColumnAt at, int r) =>
        float.IsInfinity(value)
            ? throw new InvalidRequestException($"{at.Field(feature.Name)}.values[{r}]", "must be finite (send NaN for a missing value)")
            : DenseTransforms.Encode(value, feature.Transform, feature.DefaultValue);

    /// <summary>Writes row <paramref name="r"/>'s value, or, for a context column, the one value into every row.</summary>
    private static void Write<T>(Span<T> output, int stride, int column, int r, bool broadcast, T value)
    {
        if (broadcast)
        {
            Fill(output, column, stride, value);
        }
        else
        {
            output[(r * stride) + column] = value;
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

    private static void Fill<T>(Span<T> target, int column, int stride, T value)
    {
        for (var i = column; i < target.Length; i += stride)
        {
            target[i] = value;
        }
    }

    /// <summary>The context or the candidates, with the field paths its errors name.</summary>
    private sealed record Section(string Name, string Sparse, string Dense)
    {
        public static readonly Section Context = new("context", "context.sparse", "context.dense");
        public static readonly Section Candidates = new("candidates", "candidates.sparse", "candidates.dense");
    }

    /// <summary>Where a column sits in the request (for error messages) and how many values it must carry.</summary>
    private readonly record struct ColumnAt(string Prefix, int Index, int Expected)
    {
        public string NameField => $"{Prefix}[{Index}].name";

        public string Field(string name) => $"{Prefix}[{Index}] ('{name}')";

        public InvalidRequestException Invalid(string name, string problem) => new(Field(name), problem);

        public InvalidRequestException Malformed(InvalidDataException ex) =>
            new($"{Prefix}[{Index}]", $"is not a valid serialized column ({ex.Message})");

        public string CountProblem(int actual) =>
            Prefix.StartsWith("context", StringComparison.Ordinal)
                ? $"a context column carries exactly 1 value (applied to every candidate), got {actual}"
                : $"has {actual} values; candidate_count is {Expected}";
    }

    /// <summary>Longest feature name, in UTF-8 bytes, looked up from a stack buffer (longer ones cost a string).</summary>
    private const int MaxStackNameBytes = 256;

    /// <summary>What the columns are written into, and which features have been written.</summary>
    private ref struct Target(ModelSpec spec, FeatureRows output, Span<bool> seen)
    {
        public readonly ModelSpec Spec = spec;
        public readonly FeatureRows Output = output;
        private readonly Span<bool> _seen = seen;

        /// <summary>
        /// Looks the column's feature up by its UTF-8 name without making a string of it (one per
        /// column per request otherwise): names up to <see cref="MaxStackNameBytes"/> are decoded
        /// into a stack buffer and looked up by span. Strings are made only for error messages.
        /// </summary>
        public readonly FeatureSpec Resolve(ReadOnlySpan<byte> utf8Name, ColumnAt at, FeatureKind expected)
        {
            if (utf8Name.IsEmpty)
            {
                throw new InvalidRequestException(at.NameField, "is required");
            }

            if (!Utf8.IsValid(utf8Name))
            {
                throw new InvalidRequestException(at.NameField, "is not valid UTF-8");
            }

            Span<char> buffer = stackalloc char[MaxStackNameBytes];
            ReadOnlySpan<char> name = utf8Name.Length <= MaxStackNameBytes
                ? buffer[..Encoding.UTF8.GetChars(utf8Name, buffer)]
                : Encoding.UTF8.GetString(utf8Name);
            if (!Spec.FeaturesByName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out var feature))
            {
                throw new InvalidRequestException(at.NameField, $"unknown feature {ClientText.Quote(name)} for model '{Spec.Name}'");
            }

            if (feature.Kind != expected)
            {
                var kind = feature.Kind == FeatureKind.Sparse ? "sparse" : "dense";
                throw at.Invalid(feature.Name, $"feature '{feature.Name}' is {kind}; send it as a {kind} column");
            }

            if (_seen[feature.Index])
            {
                throw at.Invalid(feature.Name, $"feature '{feature.Name}' is sent more than once (in context and candidates, or twice)");
            }

            _seen[feature.Index] = true;
            return feature;
        }
    }
}
