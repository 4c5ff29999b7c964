using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using Serving.Models;
using RequestFeatures = Serving.Contracts.Ranking.V1.Features;

namespace Serving.Tests.Features.Differential;

/// <summary>
/// The two readings of one request's bytes, each written out as text so that comparing them is
/// comparing strings (and a failure shows both): the top-level fields, then every assembled
/// input buffer value by value (floats by their bits), or the error.
/// </summary>
internal static partial class Readings
{
    public const string Malformed = "malformed";

    private const int MaxCandidates = 100;

    /// <summary>Google.Protobuf's parse (<see cref="Malformed"/> where it throws), then the parsed request assembled.</summary>
    public static string Google(ModelSpec spec, byte[] bytes)
    {
        RankRequest parsed;
        try
        {
            // The default parser, as the generated gRPC binding uses it: its verdict on the bytes is the reference.
            parsed = RankRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return Malformed;
        }

        var request = WithoutUnknownFields(parsed);
        return TopLevel(request.Model, request.Version, request.RequestId, request.CandidateCount, request.BudgetMs, request.Priority)
            + Assembled(() => FeatureAssembler.Assemble(spec, request, MaxCandidates));
    }

    /// <summary>Our reading: <see cref="WireRankRequest.Read"/> and assembly straight from the bytes.</summary>
    public static string Ours(ModelSpec spec, byte[] bytes)
    {
        using var wire = WireRankRequest.Read(new ReadOnlySequence<byte>(bytes));
        if (wire.Problem is { } problem)
        {
            return Invalid(problem);
        }

        return TopLevel(wire.Model, wire.Version, wire.RequestId, wire.CandidateCount, wire.BudgetMs, wire.Priority)
            + Assembled(() => FeatureAssembler.Assemble(spec, wire, MaxCandidates));
    }

    /// <summary>The rows <paramref name="assemble"/> gives, or its error.</summary>
    private static string Assembled(Func<FeatureRows> assemble)
    {
        try
        {
            using var rows = assemble();
            return Rows(rows);
        }
        catch (InvalidRequestException ex)
        {
            return Invalid(ex);
        }
    }

    /// <summary>
    /// The known fields only, so the reference never runs our reader over unknown fields (the
    /// parsed message would write them back). Not the parser's discard option: it allows groups
    /// one level less deep than the default parser.
    /// </summary>
    private static RankRequest WithoutUnknownFields(RankRequest parsed)
    {
        var request = new RankRequest
        {
            Model = parsed.Model,
            Version = parsed.Version,
            RequestId = parsed.RequestId,
            CandidateCount = parsed.CandidateCount,
            BudgetMs = parsed.BudgetMs,
            Priority = parsed.Priority,
            Context = WithoutUnknownFields(parsed.Context),
            Candidates = WithoutUnknownFields(parsed.Candidates),
        };
        return request;
    }

    private static RequestFeatures? WithoutUnknownFields(RequestFeatures? parsed)
    {
        if (parsed is null)
        {
            return null;
        }

        var features = new RequestFeatures();
        features.Sparse.Add(parsed.Sparse.Select(c => new SparseColumn { Name = c.Name, Values = { c.Values }, Ids = { c.Ids } }));
        features.Dense.Add(parsed.Dense.Select(c => new DenseColumn { Name = c.Name, Values = { c.Values } }));
        return features;
    }

    /// <summary>
    /// The reading with an error's message left out: where a request has several problems the
    /// two readings may name different ones first (ours walks the columns in wire order, the
    /// parsed request holds sparse columns before dense ones).
    /// </summary>
    public static string Verdict(string reading) => InvalidMessage().Replace(reading, "invalid");

    public static bool IsInvalid(string reading) => reading.Contains("\ninvalid: ", StringComparison.Ordinal) || reading.StartsWith("invalid: ", StringComparison.Ordinal);

    private static string Invalid(InvalidRequestException ex) => $"invalid: {ex.Message}";

    private static string TopLevel(string model, string version, string requestId, int count, uint budget, Priority priority) =>
        $"model={model} version={version} request_id={requestId} candidate_count={count} budget_ms={budget} priority={(int)priority}\n";

    private static string Rows(FeatureRows rows)
    {
        var text = new StringBuilder();
        for (var i = 0; i < rows.Inputs.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{rows.Inputs[i].Name}:");
            if (rows.Inputs[i].ElementKind == TensorElementKind.Float32)
            {
                foreach (var value in rows.Float32(i))
                {
                    text.Append(CultureInfo.InvariantCulture, $" {BitConverter.SingleToUInt32Bits(value):X8}");
                }
            }
            else
            {
                foreach (var value in rows.Int64(i))
                {
                    text.Append(CultureInfo.InvariantCulture, $" {value}");
                }
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    [GeneratedRegex("invalid: .*", RegexOptions.Singleline)] // to the end: an echoed name may hold a newline
    private static partial Regex InvalidMessage();
}
