using System.Text;
using Serving.Contracts.Ranking.V1;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace Serving.TestSupport.Wire;

/// <summary>
/// Mutates a valid serialized <c>RankRequest</c> the way a hostile or broken client might: in its
/// structure (varint bombs, lying lengths, group and invalid wire types, field 0, invalid UTF-8,
/// special floats, huge strings and counts, duplicated, moved and unknown fields) and in its raw
/// bytes (bit flips, inserts, deletes, truncation, splices with another request). Everything comes
/// from the <see cref="Random"/> it is given, so a case is reproduced from its seed; each mutation
/// returns a description for the failure message.
/// </summary>
internal sealed class WireMutator(Random random)
{
    private static readonly string[] Structural =
    [
        "varint-bomb", "length-lie", "group-wire-type", "invalid-wire-type", "field-zero", "invalid-utf8", "special-floats",
        "huge-string", "count", "duplicate", "move", "unknown-field", "remove",
    ];

    /// <summary>Applies one to three mutations to <paramref name="valid"/>; <paramref name="donor"/> is another valid request, for splices.</summary>
    public (byte[] Bytes, string Description) Mutate(byte[] valid, byte[] donor)
    {
        var tree = WireTree.Parse(valid);
        byte[]? raw = null;
        var steps = new List<string>();
        for (var count = random.Next(1, 4); steps.Count < count;)
        {
            // Once raw bytes are mutated the tree no longer describes them: later steps are raw too.
            var step = raw is null && random.Next(4) != 0 ? MutateStructure(tree) : MutateBytes(raw ??= WireTree.Encode(tree), donor, out raw);
            steps.Add(step);
        }

        return (raw ?? WireTree.Encode(tree), string.Join("; ", steps));
    }

    /// <summary>One structural mutation; each returns what it did, or null where the request offers it no target (then another is drawn).</summary>
    private string MutateStructure(List<WireNode> tree)
    {
        while (true)
        {
            var name = Structural[random.Next(Structural.Length)];
            var done = name switch
            {
                "varint-bomb" => VarintBomb(tree),
                "length-lie" => LengthLie(tree),
                "group-wire-type" => GroupWireType(tree),
                "invalid-wire-type" => RetagNode(tree, "invalid wire type", n => Proto.Tag(n.Field, (WireType)(6 + random.Next(2)))),
                "field-zero" => RetagNode(tree, "field number 0", n => Proto.Tag(0, n.WireType)),
                "invalid-utf8" => InvalidUtf8(tree),
                "special-floats" => SpecialFloats(tree),
                "huge-string" => HugeString(tree),
                "count" => Count(tree),
                "duplicate" => Duplicate(tree),
                "move" => Move(tree),
                "unknown-field" => UnknownField(tree),
                _ => Remove(tree),
            };
            if (done is not null)
            {
                return $"{name}: {done}";
            }
        }
    }

    private string MutateBytes(byte[] bytes, byte[] donor, out byte[] result)
    {
        result = bytes;
        return RawMutations.Apply(random, random.Next(RawMutations.Kinds), ref result, donor);
    }

    /// <summary>
    /// A varint of 10 to 16 bytes (9 to 15 continuation bytes: 10 bytes is the longest valid one)
    /// where a tag, a length, a varint value or a packed id goes.
    /// </summary>
    private string? VarintBomb(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree));
        var bomb = new byte[random.Next(10, 17)];
        for (var i = 0; i < bomb.Length; i++)
        {
            bomb[i] = (byte)(0x80 | random.Next(0x80));
        }

        bomb[^1] &= 0x7F;
        var node = placed.Node;
        var what = $"{bomb.Length}-byte varint ({bomb.Length - 1} continuation bytes)";
        switch (random.Next(3))
        {
            case 0:
                node.RawTag = bomb;
                return $"{what} as the tag of {placed.Path}";
            case 1 when node.WireType == WireType.LengthDelimited:
                node.RawLength = bomb;
                return $"{what} as the length of {placed.Path}";
            case 2 when node.Role == WireRole.Ids && node.WireType == WireType.LengthDelimited:
                node.Payload = [.. bomb, .. node.Payload];
                return $"{what} first among the packed ids of {placed.Path}";
            case 2 when node.WireType == WireType.Varint:
                node.Payload = bomb;
                return $"{what} as the value of {placed.Path}";
            default:
                return null;
        }
    }

    private static readonly ulong[] HugeLengths = [int.MaxValue, 1UL << 31, uint.MaxValue, 1UL << 32, (1UL << 32) + 3, long.MaxValue, 1UL << 63, ulong.MaxValue];

    /// <summary>A length past the end of its message, near 2^31, 2^32 or 2^63, or shorter than the contents.</summary>
    private string? LengthLie(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree).Where(p => p.Node.WireType == WireType.LengthDelimited));
        if (placed.Node is null)
        {
            return null;
        }

        var actual = (ulong)(placed.Node.Children is null ? placed.Node.Payload : WireTree.Encode(placed.Node.Children)).Length;
        var length = random.Next(4) switch
        {
            0 => actual + (ulong)random.Next(1, 1000),
            1 => actual > 0 ? actual - (ulong)random.Next(1, (int)Math.Min(actual, 100) + 1) : 1,
            _ => HugeLengths[random.Next(HugeLengths.Length)],
        };
        placed.Node.RawLength = Proto.VarintBytes(length);
        return $"length {length} (contents {actual}) on {placed.Path}";
    }

    /// <summary>A start-group or end-group tag on an existing field, or a group (well formed or not) inserted as an unknown field.</summary>
    private string? GroupWireType(List<WireNode> tree)
    {
        if (random.Next(2) == 0)
        {
            return RetagNode(tree, "group wire type", n => Proto.Tag(n.Field, random.Next(2) == 0 ? WireType.StartGroup : WireType.EndGroup));
        }

        var (fields, path) = Pick(WireTree.Messages(tree));
        var field = random.Next(1, 40);
        var inner = random.Next(3) == 0 ? [] : WireTree.Encode([RandomUnknownField(depth: 1)]);
        var (payload, kind) = random.Next(4) switch
        {
            0 => ((byte[])[.. inner, .. Proto.Tag(field, WireType.EndGroup)], "a group"),
            1 => (inner, "an unterminated group"),
            2 => ((byte[])[.. inner, .. Proto.Tag(field + 1, WireType.EndGroup)], "a group with a mismatched end"),
            _ => ((byte[])[.. Proto.Tag(field, WireType.StartGroup), .. inner, .. Proto.Tag(field, WireType.EndGroup), .. Proto.Tag(field, WireType.EndGroup)], "a nested group"),
        };
        var lone = random.Next(5) == 0;
        fields.Insert(random.Next(fields.Count + 1), new WireNode
        {
            Field = field,
            WireType = lone ? WireType.EndGroup : WireType.StartGroup,
            Payload = lone ? [] : payload,
        });
        return lone ? $"a lone end-group tag (field {field}) in {path}" : $"{kind} (field {field}) in {path}";
    }

    private string? RetagNode(List<WireNode> tree, string what, Func<WireNode, byte[]> tag)
    {
        var placed = Pick(WireTree.Walk(tree));
        placed.Node.RawTag = tag(placed.Node);
        return $"{what} (tag {Convert.ToHexString(placed.Node.RawTag)}) on {placed.Path}";
    }

    private static readonly byte[][] BadUtf8 =
    [
        [0xC3, 0x28], [0xFF], [0xFE], [0x80], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xF0, 0x9F, 0x98],
    ];

    /// <summary>Bytes that are not UTF-8 (lone continuation, overlong, surrogate, truncated, past U+10FFFF) in the model name, a version, a request id, a column name or a value.</summary>
    private string? InvalidUtf8(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree).Where(p => p.Node.Role is WireRole.Model or WireRole.Version or WireRole.RequestId or WireRole.ColumnName or WireRole.StringValue));
        if (placed.Node is null)
        {
            return null;
        }

        var bad = BadUtf8[random.Next(BadUtf8.Length)];
        var at = random.Next(placed.Node.Payload.Length + 1);
        placed.Node.Payload = [.. placed.Node.Payload[..at], .. bad, .. placed.Node.Payload[at..]];
        return $"{Convert.ToHexString(bad)} inserted at {at} in {placed.Path}";
    }

    private static readonly uint[] SpecialFloatBits =
    [
        0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FFFFFFF, 0xFFFFFFFF, // NaNs: quiet, negative, signalling, payloads
        0x7F800000, 0xFF800000, // ±Infinity
        0x00000001, 0x807FFFFF, 0x00800000, // denormals and the smallest normal
        0x80000000, 0x7F7FFFFF, 0xFF7FFFFF, // -0, ±MaxValue
    ];

    /// <summary>NaN payloads, ±Infinity, denormals, -0 and ±MaxValue in a dense column's values.</summary>
    private string? SpecialFloats(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree).Where(p => p.Node.Role == WireRole.FloatValues && p.Node.Payload.Length >= 4));
        if (placed.Node is null)
        {
            return null;
        }

        var payload = (byte[])placed.Node.Payload.Clone();
        var written = new List<string>();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var index = random.Next(payload.Length / 4);
            var bits = SpecialFloatBits[random.Next(SpecialFloatBits.Length)];
            Proto.Fixed32Bytes(bits).CopyTo(payload, index * 4);
            written.Add($"[{index}]=0x{bits:X8}");
        }

        placed.Node.Payload = payload;
        return $"{string.Join(",", written)} in {placed.Path}";
    }

    /// <summary>A 64 KB model name, version, request id, column name or value (ASCII or multi-byte).</summary>
    private string? HugeString(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree).Where(p => p.Node.Role is WireRole.Model or WireRole.Version or WireRole.RequestId or WireRole.ColumnName or WireRole.StringValue));
        if (placed.Node is null)
        {
            return null;
        }

        var multiByte = random.Next(2) == 0;
        placed.Node.Payload = Encoding.UTF8.GetBytes(new string(multiByte ? 'é' : 'x', multiByte ? 32 * 1024 : 64 * 1024));
        return $"64 KB of '{(multiByte ? "é" : "x")}' as {placed.Path}";
    }

    private static readonly ulong[] Counts =
    [
        0, 1, 2, 4096, 4097, int.MaxValue, unchecked((ulong)-1L), unchecked((ulong)(long)int.MinValue), 1UL << 31, (1UL << 32) + 2, ulong.MaxValue, 1UL << 63,
    ];

    /// <summary>candidate_count zero, negative, huge, past the limit, or past 32 bits (protobuf keeps the low 32).</summary>
    private string Count(List<WireNode> tree)
    {
        var value = Counts[random.Next(Counts.Length)];
        var node = tree.FirstOrDefault(n => n.Role == WireRole.CandidateCount);
        if (node is null)
        {
            node = new WireNode { Field = RankRequest.CandidateCountFieldNumber, WireType = WireType.Varint, Role = WireRole.CandidateCount };
            tree.Add(node);
        }

        node.Payload = Proto.VarintBytes(value);
        return $"candidate_count varint {value}";
    }

    /// <summary>A field (often a whole sub-message) written twice: protobuf merges sub-messages and keeps the last scalar.</summary>
    private string Duplicate(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree));
        placed.Siblings.Insert(random.Next(placed.Siblings.Count + 1), placed.Node.Clone());
        return $"{placed.Path} written twice";
    }

    /// <summary>A field moved into another message (a candidate column into the context, a column into the request).</summary>
    private string Move(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree));
        var inside = placed.Node.Children is null ? [] : WireTree.Messages(placed.Node.Children).Select(m => m.Fields).ToHashSet();
        var (fields, path) = Pick(WireTree.Messages(tree).Where(m => !inside.Contains(m.Fields)));
        placed.Siblings.Remove(placed.Node);
        fields.Insert(random.Next(fields.Count + 1), placed.Node);
        return $"{placed.Path} moved into {path}";
    }

    private string UnknownField(List<WireNode> tree)
    {
        var (fields, path) = Pick(WireTree.Messages(tree));
        var node = RandomUnknownField(depth: 0);
        fields.Insert(random.Next(fields.Count + 1), node);
        return $"unknown field {node.Field} (wire type {node.WireType}, {node.Payload.Length} bytes) in {path}";
    }

    private string? Remove(List<WireNode> tree)
    {
        var placed = Pick(WireTree.Walk(tree));
        placed.Siblings.Remove(placed.Node);
        return $"{placed.Path} removed";
    }

    private static readonly long[] UnknownFieldNumbers = [9, 15, 16, 100, 2047, 2048, 536_870_911];

    /// <summary>A well-formed field the message does not define (a known number with another wire type counts too), a group among them.</summary>
    private WireNode RandomUnknownField(int depth)
    {
        var field = random.Next(3) == 0 ? random.Next(1, 9) : UnknownFieldNumbers[random.Next(UnknownFieldNumbers.Length)];
        var wireType = random.Next(depth > 1 ? 4 : 5) switch { 0 => WireType.Varint, 1 => WireType.Fixed64, 2 => WireType.LengthDelimited, 3 => WireType.Fixed32, _ => WireType.StartGroup };
        var payload = new byte[wireType switch { WireType.Fixed64 => 8, WireType.Fixed32 => 4, WireType.LengthDelimited => random.Next(0, 20), _ => 0 }];
        random.NextBytes(payload);
        payload = wireType switch
        {
            WireType.Varint => Proto.VarintBytes((ulong)random.NextInt64() << random.Next(2)),
            WireType.StartGroup => [.. WireTree.Encode([RandomUnknownField(depth + 1)]), .. Proto.Tag(field, WireType.EndGroup)],
            _ => payload,
        };
        return new WireNode { Field = field, WireType = wireType, Payload = payload };
    }

    private T Pick<T>(IEnumerable<T> items)
    {
        var list = items as IReadOnlyList<T> ?? [.. items];
        return list.Count == 0 ? default! : list[random.Next(list.Count)];
    }
}
