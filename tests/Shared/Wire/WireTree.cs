using Serving.Contracts.Ranking.V1;
using FeaturesMessage = Serving.Contracts.Ranking.V1.Features;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace Serving.TestSupport.Wire;

/// <summary>What a field is in a <see cref="RankRequest"/>, so a mutation can aim at one kind (a string, a count, a column).</summary>
internal enum WireRole
{
    Unknown,
    Model,
    Version,
    RequestId,
    Context,
    Candidates,
    CandidateCount,
    BudgetMs,
    Priority,
    SparseColumn,
    DenseColumn,
    ColumnName,
    StringValue,
    Ids,
    FloatValues,
}

/// <summary>
/// One field of a serialized message: its tag and value, and for the sub-messages of a
/// <see cref="RankRequest"/> (features, columns) its own fields, so a mutation can change a field
/// at any depth and every enclosing length is written again (unless a mutation lies about one).
/// </summary>
internal sealed class WireNode
{
    public required long Field { get; set; }

    public required WireType WireType { get; set; }

    public WireRole Role { get; set; }

    /// <summary>The value's bytes: a varint, a fixed value, or a length-delimited field's contents (when <see cref="Children"/> is null).</summary>
    public byte[] Payload { get; set; } = [];

    /// <summary>A sub-message's fields, written in place of <see cref="Payload"/>.</summary>
    public List<WireNode>? Children { get; set; }

    /// <summary>Written instead of the tag.</summary>
    public byte[]? RawTag { get; set; }

    /// <summary>Written instead of the length (length-delimited fields).</summary>
    public byte[]? RawLength { get; set; }

    public WireNode Clone() => new()
    {
        Field = Field,
        WireType = WireType,
        Role = Role,
        Payload = Payload,
        Children = Children?.Select(c => c.Clone()).ToList(),
        RawTag = RawTag,
        RawLength = RawLength,
    };
}

/// <summary>A node with where it sits: its siblings (to insert or remove next to it) and its path (for failure descriptions).</summary>
internal readonly record struct PlacedNode(WireNode Node, List<WireNode> Siblings, string Path);

/// <summary>Parses a valid serialized <see cref="RankRequest"/> into <see cref="WireNode"/>s and writes nodes back to bytes.</summary>
internal static class WireTree
{
    public static List<WireNode> Parse(byte[] rankRequest) => ParseMessage(rankRequest, TopLevelRole);

    public static byte[] Encode(IEnumerable<WireNode> fields)
    {
        var output = new List<byte>();
        foreach (var node in fields)
        {
            output.AddRange(node.RawTag ?? Proto.Tag(node.Field, node.WireType));
            var value = node.Children is null ? node.Payload : Encode(node.Children);
            if (node.WireType == WireType.LengthDelimited || node.RawLength is not null)
            {
                output.AddRange(node.RawLength ?? Proto.VarintBytes((ulong)value.Length));
            }

            output.AddRange(value);
        }

        return [.. output];
    }

    /// <summary>Every node at every depth, parents before their fields.</summary>
    public static List<PlacedNode> Walk(List<WireNode> fields, string prefix = "")
    {
        var all = new List<PlacedNode>();
        var counts = new Dictionary<long, int>();
        foreach (var node in fields)
        {
            var index = counts[node.Field] = counts.GetValueOrDefault(node.Field) + 1;
            var path = $"{prefix}{Name(node)}#{index - 1}";
            all.Add(new PlacedNode(node, fields, path));
            if (node.Children is not null)
            {
                all.AddRange(Walk(node.Children, path + "."));
            }
        }

        return all;
    }

    /// <summary>Every list of fields a node can be inserted into: the request and each sub-message.</summary>
    public static List<(List<WireNode> Fields, string Path)> Messages(List<WireNode> request)
    {
        var messages = new List<(List<WireNode>, string)> { (request, "request") };
        messages.AddRange(Walk(request).Where(p => p.Node.Children is not null).Select(p => (p.Node.Children!, p.Path)));
        return messages;
    }

    private static string Name(WireNode node) => node.Role == WireRole.Unknown ? $"field{node.Field}/wt{node.WireType}" : node.Role.ToString();

    private static List<WireNode> ParseMessage(ReadOnlySpan<byte> bytes, Func<long, WireType, WireRole> role)
    {
        var fields = new List<WireNode>();
        var position = 0;
        while (position < bytes.Length)
        {
            var tag = ReadVarint(bytes, ref position);
            var node = new WireNode { Field = (long)(tag >> 3), WireType = (WireType)(tag & 7) };
            node.Role = role(node.Field, node.WireType);
            var value = bytes[ReadValue(bytes, ref position, node.Field, node.WireType)];
            node.Payload = value.ToArray();
            node.Children = node.Role switch
            {
                WireRole.Context or WireRole.Candidates => ParseMessage(value, FeaturesRole),
                WireRole.SparseColumn => ParseMessage(value, SparseRole),
                WireRole.DenseColumn => ParseMessage(value, DenseRole),
                _ => null,
            };
            fields.Add(node);
        }

        return fields;
    }

    private static WireRole TopLevelRole(long field, WireType wireType) => (field, wireType) switch
    {
        (RankRequest.ModelFieldNumber, WireType.LengthDelimited) => WireRole.Model,
        (RankRequest.VersionFieldNumber, WireType.LengthDelimited) => WireRole.Version,
        (RankRequest.RequestIdFieldNumber, WireType.LengthDelimited) => WireRole.RequestId,
        (RankRequest.ContextFieldNumber, WireType.LengthDelimited) => WireRole.Context,
        (RankRequest.CandidatesFieldNumber, WireType.LengthDelimited) => WireRole.Candidates,
        (RankRequest.CandidateCountFieldNumber, WireType.Varint) => WireRole.CandidateCount,
        (RankRequest.BudgetMsFieldNumber, WireType.Varint) => WireRole.BudgetMs,
        (RankRequest.PriorityFieldNumber, WireType.Varint) => WireRole.Priority,
        _ => WireRole.Unknown,
    };

    private static WireRole FeaturesRole(long field, WireType wireType) => (field, wireType) switch
    {
        (FeaturesMessage.SparseFieldNumber, WireType.LengthDelimited) => WireRole.SparseColumn,
        (FeaturesMessage.DenseFieldNumber, WireType.LengthDelimited) => WireRole.DenseColumn,
        _ => WireRole.Unknown,
    };

    private static WireRole SparseRole(long field, WireType wireType) => (field, wireType) switch
    {
        (SparseColumn.NameFieldNumber, WireType.LengthDelimited) => WireRole.ColumnName,
        (SparseColumn.ValuesFieldNumber, WireType.LengthDelimited) => WireRole.StringValue,
        (SparseColumn.IdsFieldNumber, WireType.LengthDelimited or WireType.Varint) => WireRole.Ids,
        _ => WireRole.Unknown,
    };

    private static WireRole DenseRole(long field, WireType wireType) => (field, wireType) switch
    {
        (DenseColumn.NameFieldNumber, WireType.LengthDelimited) => WireRole.ColumnName,
        (DenseColumn.ValuesFieldNumber, WireType.LengthDelimited or WireType.Fixed32) => WireRole.FloatValues,
        _ => WireRole.Unknown,
    };

    /// <summary>
    /// Reads past a field's value: where it lies (a length-delimited field's contents; a group
    /// whole, its end-group tag included, kept as the payload).
    /// </summary>
    private static Range ReadValue(ReadOnlySpan<byte> bytes, ref int position, long field, WireType wireType)
    {
        var start = position;
        switch (wireType)
        {
            case WireType.Varint:
                ReadVarint(bytes, ref position);
                break;
            case WireType.Fixed64:
                position += 8;
                break;
            case WireType.Fixed32:
                position += 4;
                break;
            case WireType.LengthDelimited:
                var length = (int)ReadVarint(bytes, ref position);
                start = position;
                position += length;
                break;
            case WireType.StartGroup:
                while (ReadVarint(bytes, ref position) is var tag && (WireType)(tag & 7) != WireType.EndGroup)
                {
                    ReadValue(bytes, ref position, (long)(tag >> 3), (WireType)(tag & 7));
                }

                break;
            default:
                throw new ArgumentException($"a valid RankRequest has no wire type {wireType} (field {field}) here", nameof(bytes));
        }

        return start..position;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
