using System.Text;
using CsCheck;
using Serving.Contracts.Ranking.V1;
using Serving.TestSupport.Wire;
using FeaturesMessage = Serving.Contracts.Ranking.V1.Features;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace Serving.Tests.Features.Differential;

/// <summary>
/// Random valid serialized <see cref="RankRequest"/>s for <see cref="TestModels.Tiny"/>, in every
/// form protobuf allows a writer: fields in any order, repeated scalars packed, unpacked or both
/// (in several runs), scalars written more than once (the last wins), <c>context</c> and
/// <c>candidates</c> split into parts (merged), unknown fields (groups too) at every level, padded
/// varints. The content is mostly what the spec accepts, with now and then what it refuses (an
/// unknown or misplaced feature, a wrong count, Infinity), so both answers are compared.
/// </summary>
internal static class RandomRankRequests
{
    /// <summary>Mostly 1 byte; now and then a varint padded with redundant continuation bytes (up to the 10 protobuf allows).</summary>
    private static readonly Gen<int> Pad = Gen.Frequency((12, Gen.Const(1)), (1, Gen.Int[2, 10]));

    private static readonly Gen<string> Text = Gen.Frequency(
        (3, Gen.String.AlphaNumeric),
        (1, Gen.Const("")),
        (1, Gen.String[Gen.Char['\u0080', '\uD7FF'], 1, 6]),
        (1, Gen.OneOf("é", "日本", "😀", "\u0000", "a\u0000b", "\uFEFF")));

    private static readonly Gen<float> Float = Gen.Frequency(
        (400, Gen.Float[-1e6f, 1e6f]),
        (40, Gen.OneOf(float.NaN, BitConverter.UInt32BitsToSingle(0x7FC00001), BitConverter.UInt32BitsToSingle(0xFFFFFFFF), -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue)),
        (1, Gen.OneOf(float.PositiveInfinity, float.NegativeInfinity)));

    private static readonly Gen<long> Id = Gen.Frequency((3, Gen.Long), (1, Gen.Long[-5, 5]), (1, Gen.OneOf(long.MinValue, long.MaxValue)));

    public static readonly Gen<byte[]> Valid =
        (from count in Gen.Frequency((30, Gen.Int[1, 5]), (1, Gen.OneOf(0, -1, 100, 101, int.MinValue)))
         from d0 in Feature("d0", dense: true, count)
         from d1 in Feature("d1", dense: true, count)
         from s0 in Feature("s0", dense: false, count)
         from s1 in Feature("s1", dense: false, count)
         from oddball in Oddball(count)
         from context in Features([d0.Context, d1.Context, s0.Context, s1.Context, oddball.Context])
         from candidates in Features([d0.Candidates, d1.Candidates, s0.Candidates, s1.Candidates, oddball.Candidates])
         from scalars in Scalars(count)
         from unknown in UnknownFields(TopLevelKnown)
         from pad in Pad
         select TopLevel(scalars, unknown, context, candidates, pad))
        .SelectMany(fields => Gen.Shuffle(fields))
        .Select(Proto.Concat);

    private static byte[][] TopLevel(byte[][] scalars, byte[][] unknown, byte[][] context, byte[][] candidates, int pad) =>
    [
        .. scalars, .. unknown,
        .. context.Select(part => Proto.Delimited(RankRequest.ContextFieldNumber, part, pad)),
        .. candidates.Select(part => Proto.Delimited(RankRequest.CandidatesFieldNumber, part)),
    ];

    /// <summary>A feature of the spec: left out, in the context (one value) or among the candidates; rarely in both (refused).</summary>
    private static Gen<(byte[]? Context, byte[]? Candidates)> Feature(string name, bool dense, int count) =>
        from place in Gen.Frequency((12, Gen.Const(0)), (8, Gen.Const(1)), (16, Gen.Const(2)), (1, Gen.Const(3)))
        from inContext in Column(name, dense, 1)
        from inCandidates in Column(name, dense, count)
        select (place is 1 or 3 ? inContext : null, place is 2 or 3 ? inCandidates : null);

    /// <summary>Now and then a column the spec refuses: an unknown name, no name, or a feature of the other kind.</summary>
    private static Gen<(byte[]? Context, byte[]? Candidates)> Oddball(int count) =>
        from kind in Gen.Frequency((40, Gen.Const(0)), (1, Gen.Const(1)), (1, Gen.Const(2)), (1, Gen.Const(3)))
        from inContext in Gen.Bool
        from column in kind switch
        {
            1 => Column("nope", dense: true, count),
            2 => Column("", dense: false, count),
            _ => Column("s1", dense: true, count),
        }
        select kind == 0 ? (null, null) : inContext ? (column, null) : ((byte[]?)null, column);

    /// <summary>One column, as a <c>Features</c> field: its values (now and then one too many or too few), its name (maybe written twice) and unknown fields, in any order.</summary>
    private static Gen<byte[]> Column(string name, bool dense, int count) =>
        from size in Gen.Frequency((60, Gen.Const(Math.Max(count, 0))), (1, Gen.Const(Math.Max(count, 0) + 1)), (1, Gen.Const(Math.Max(count, 1) - 1)))
        from values in dense ? FloatValues(size) : Gen.Frequency((12, StringValues(size)), (8, IdValues(size)), (1, BothValuesAndIds(size)))
        from names in Names(name)
        from unknown in UnknownFields(dense ? DenseKnown : SparseKnown)
        from order in Gen.Shuffle((byte[][])[.. values, .. unknown, .. names])
        select Proto.Delimited(dense ? FeaturesMessage.DenseFieldNumber : FeaturesMessage.SparseFieldNumber, Proto.Concat(order));

    /// <summary>The name, now and then preceded (after the shuffle: maybe followed) by another valid name: the last one written wins.</summary>
    private static Gen<byte[][]> Names(string name) =>
        from twice in Gen.Frequency((30, Gen.Const(false)), (1, Gen.Const(true)))
        from other in Text
        from pad in Pad
        select twice
            ? new[] { Proto.Delimited(SparseColumn.NameFieldNumber, Encoding.UTF8.GetBytes(other)), Proto.Delimited(SparseColumn.NameFieldNumber, Encoding.UTF8.GetBytes(name), pad) }
            : [Proto.Delimited(SparseColumn.NameFieldNumber, Encoding.UTF8.GetBytes(name), pad)];

    private static Gen<byte[][]> StringValues(int size) =>
        from values in Text.Array[size]
        from pad in Pad
        select values.Select(v => Proto.Delimited(SparseColumn.ValuesFieldNumber, Encoding.UTF8.GetBytes(v), padLength: pad)).ToArray();

    private static Gen<byte[][]> IdValues(int size) =>
        from ids in Id.Array[size]
        from runs in Runs(size)
        select runs.Select(run => run.Packed
            ? Proto.Delimited(SparseColumn.IdsFieldNumber, Proto.Concat(ids[run.Range].Select(id => Proto.VarintBytes(unchecked((ulong)id)))))
            : Proto.Concat(ids[run.Range].Select(id => (byte[])[.. Proto.Tag(SparseColumn.IdsFieldNumber, WireType.Varint), .. Proto.VarintBytes(unchecked((ulong)id))]))).ToArray();

    private static Gen<byte[][]> BothValuesAndIds(int size) =>
        Gen.Select(StringValues(size), IdValues(Math.Max(size, 1)), (values, ids) => (byte[][])[.. values, .. ids]);

    private static Gen<byte[][]> FloatValues(int size) =>
        from values in Float.Array[size]
        from runs in Runs(size)
        select runs.Select(run => run.Packed
            ? Proto.Delimited(DenseColumn.ValuesFieldNumber, Proto.Concat(values[run.Range].Select(Proto.FloatBytes)))
            : Proto.Concat(values[run.Range].Select(v => (byte[])[.. Proto.Tag(DenseColumn.ValuesFieldNumber, WireType.Fixed32), .. Proto.FloatBytes(v)]))).ToArray();

    /// <summary>A repeated scalar's values cut into one to three runs in order, each packed or one field per value (protobuf appends them all).</summary>
    private static Gen<(Range Range, bool Packed)[]> Runs(int size) =>
        from cuts in Gen.Int[0, size].Array[0, 2]
        from packed in Gen.Bool.Array[3]
        select Enumerable.Range(0, cuts.Length + 1)
            .Select(i => (new Range(i == 0 ? 0 : cuts.Order().ElementAt(i - 1), i == cuts.Length ? size : cuts.Order().ElementAt(i)), packed[i]))
            .ToArray();

    /// <summary>A <c>Features</c> message from its columns and unknown fields in any order, cut into one to three parts (protobuf merges them).</summary>
    private static Gen<byte[][]> Features(byte[]?[] columns) =>
        from unknown in UnknownFields(FeaturesKnown)
        from order in Gen.Shuffle((byte[][])[.. columns.OfType<byte[]>(), .. unknown])
        from cuts in Gen.Int[0, order.Length].Array[0, 2]
        select Enumerable.Range(0, cuts.Length + 1)
            .Select(i => Proto.Concat(order[(i == 0 ? 0 : cuts.Order().ElementAt(i - 1))..(i == cuts.Length ? order.Length : cuts.Order().ElementAt(i))]))
            .ToArray();

    /// <summary>The top-level scalars, each left out, written once, or written twice (the last wins; the count is always there).</summary>
    private static Gen<byte[][]> Scalars(int count) =>
        from model in Gen.Frequency((4, Gen.Const("tiny")), (1, Text))
        from version in Text
        from requestId in Text
        from budget in Gen.Frequency((3, Gen.UInt[0, 1000]), (1, Gen.UInt))
        from priority in Gen.Frequency((4, Gen.Int[0, 1]), (1, Gen.Int))
        from countWidth in Gen.Bool
        from present in Gen.Int[0, 2].Array[6]
        from first in Gen.UInt.Array[6] // the values written first, where a scalar is written twice
        select (byte[][])[
            .. Repeat(present[0], Proto.Delimited(RankRequest.ModelFieldNumber, Encoding.UTF8.GetBytes(model)), Proto.Delimited(RankRequest.ModelFieldNumber, [(byte)'x'])),
            .. Repeat(present[1], Proto.Delimited(RankRequest.VersionFieldNumber, Encoding.UTF8.GetBytes(version)), Proto.Delimited(RankRequest.VersionFieldNumber, [])),
            .. Repeat(present[2], Proto.Delimited(RankRequest.RequestIdFieldNumber, Encoding.UTF8.GetBytes(requestId)), Proto.Delimited(RankRequest.RequestIdFieldNumber, [(byte)'r'])),
            // int32 negatives are written sign-extended to 10 bytes; a 5-byte form of the low 32 bits reads the same (and is the
            // other copy when the count is written twice: the shuffle may put either last).
            .. Repeat(present[3] == 0 ? 1 : present[3], VarintField(RankRequest.CandidateCountFieldNumber, countWidth ? unchecked((ulong)(long)count) : unchecked((uint)count)), VarintField(RankRequest.CandidateCountFieldNumber, countWidth ? unchecked((uint)count) : unchecked((ulong)(long)count))),
            .. Repeat(present[4], VarintField(RankRequest.BudgetMsFieldNumber, budget), VarintField(RankRequest.BudgetMsFieldNumber, first[4])),
            .. Repeat(present[5], VarintField(RankRequest.PriorityFieldNumber, unchecked((ulong)(long)priority)), VarintField(RankRequest.PriorityFieldNumber, first[5]))];

    /// <summary>0: the field left out; 1: written once; 2: an earlier value written first (written twice, the last counts).</summary>
    private static byte[][] Repeat(int times, byte[] last, byte[] earlier) => times switch
    {
        0 => [],
        1 => [last],
        _ => [earlier, last],
    };

    private static byte[] VarintField(int field, ulong value) => [.. Proto.Tag(field, WireType.Varint), .. Proto.VarintBytes(value)];

    private static bool TopLevelKnown(long field, WireType wireType) =>
        field is >= 1 and <= 5 ? wireType == WireType.LengthDelimited : field is >= 6 and <= 8 && wireType == WireType.Varint;

    private static bool FeaturesKnown(long field, WireType wireType) => field is 1 or 2 && wireType == WireType.LengthDelimited;

    private static bool SparseKnown(long field, WireType wireType) => field switch
    {
        1 or 2 => wireType == WireType.LengthDelimited,
        3 => wireType is WireType.LengthDelimited or WireType.Varint,
        _ => false,
    };

    private static bool DenseKnown(long field, WireType wireType) => field switch
    {
        1 => wireType == WireType.LengthDelimited,
        2 => wireType is WireType.LengthDelimited or WireType.Fixed32,
        _ => false,
    };

    /// <summary>None most of the time, else one or two well-formed fields the message does not define.</summary>
    private static Gen<byte[][]> UnknownFields(Func<long, WireType, bool> known) =>
        Gen.Frequency((3, Gen.Const(Array.Empty<byte[]>())), (1, UnknownField(known, depth: 0).Array[1, 2]));

    /// <summary>A field the message does not define: a new number or a known one with another wire type; groups nest (at most three deep).</summary>
    private static Gen<byte[]> UnknownField(Func<long, WireType, bool> known, int depth) =>
        from field in Gen.Frequency((2, Gen.Int[1, 9]), (1, Gen.Int[10, 536_870_911]))
        from wireType in Gen.OneOf<WireType>(depth < 3 ? [WireType.Varint, WireType.Fixed64, WireType.LengthDelimited, WireType.StartGroup, WireType.Fixed32] : [WireType.Varint, WireType.Fixed64, WireType.LengthDelimited, WireType.Fixed32])
        from value in wireType switch
        {
            WireType.Varint => Gen.ULong.Select(v => Proto.VarintBytes(v)),
            WireType.Fixed64 => Gen.Byte.Array[8],
            WireType.Fixed32 => Gen.Byte.Array[4],
            WireType.LengthDelimited => Gen.Byte.Array[0, 12].Select(b => (byte[])[.. Proto.VarintBytes((ulong)b.Length), .. b]),
            _ => UnknownField((_, _) => false, depth + 1).Array[0, 2].Select(inner => (byte[])[.. Proto.Concat(inner), .. Proto.Tag(field, WireType.EndGroup)]),
        }
        select known(field, wireType) ? [] : (byte[])[.. Proto.Tag(field, wireType), .. value];
}
