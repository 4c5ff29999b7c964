using Serving.Tests.Features.Differential;
using Serving.TestSupport.Wire;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace Serving.Tests.Features;

/// <summary>
/// Unknown fields of the group wire types (3 starts a group, 4 ends it: proto2's groups) are
/// skipped as Google.Protobuf skips them, up to its nesting limit; a group left open, closed by
/// another field's end tag, or an end tag without a start is malformed. Found by
/// <see cref="WireReaderDifferentialTests"/>: the reader refused every group ("unsupported wire
/// type 3"), so a valid request with one was answered INVALID_ARGUMENT.
/// </summary>
public class UnknownGroupTests
{
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Theory]
    [InlineData("request")]
    [InlineData("features")]
    [InlineData("column")]
    public void Unknown_groups_are_skipped_like_any_unknown_field(string where)
    {
        byte[] group = [.. Proto.Tag(9, WireType.StartGroup), .. Proto.Tag(1, WireType.Varint), 5, .. Proto.Delimited(2, [1, 2, 3]), .. Nested(10, 3), .. Proto.Tag(9, WireType.EndGroup)];
        var bytes = Request(where, group);

        Assert.NotEqual(Readings.Malformed, Readings.Google(_spec, bytes));
        Assert.Equal(Readings.Ours(_spec, Request(where, [])), Readings.Ours(_spec, bytes));
    }

    public static TheoryData<string, string> MalformedGroups => new()
    {
        { "request", "unterminated" }, { "features", "unterminated" }, { "column", "unterminated" },
        { "request", "mismatched" }, { "column", "mismatched" },
        { "request", "lone-end" }, { "features", "lone-end" }, { "column", "lone-end" },
    };

    [Theory]
    [MemberData(nameof(MalformedGroups))]
    public void Malformed_groups_are_refused_as_google_protobuf_refuses_them(string where, string kind)
    {
        byte[] group = kind switch
        {
            "unterminated" => [.. Proto.Tag(9, WireType.StartGroup), .. Proto.Tag(1, WireType.Varint), 5],
            "mismatched" => [.. Proto.Tag(9, WireType.StartGroup), .. Proto.Tag(8, WireType.EndGroup)],
            _ => Proto.Tag(9, WireType.EndGroup),
        };
        var bytes = Request(where, group);

        Assert.Equal(Readings.Malformed, Readings.Google(_spec, bytes));
        Assert.True(Readings.IsInvalid(Readings.Ours(_spec, bytes)), Readings.Ours(_spec, bytes));
    }

    /// <summary>Google.Protobuf's recursion limit (100) counts the enclosing messages too: a column is two deep.</summary>
    [Theory]
    [InlineData("request", 100, true)]
    [InlineData("request", 101, false)]
    [InlineData("features", 99, true)]
    [InlineData("features", 100, false)]
    [InlineData("column", 98, true)]
    [InlineData("column", 99, false)]
    public void Groups_nest_as_deep_as_google_protobuf_allows(string where, int depth, bool accepted)
    {
        var bytes = Request(where, Nested(9, depth));

        Assert.Equal(accepted, Readings.Google(_spec, bytes) != Readings.Malformed);
        Assert.Equal(accepted, !Readings.IsInvalid(Readings.Ours(_spec, bytes)));
    }

    private static byte[] Nested(int field, int depth) =>
        depth == 0 ? [] : [.. Proto.Tag(field, WireType.StartGroup), .. Nested(field, depth - 1), .. Proto.Tag(field, WireType.EndGroup)];

    /// <summary>Two candidates with d0 = 1 and 2, and <paramref name="extra"/> in the request, the candidates' <c>Features</c> or the column.</summary>
    private static byte[] Request(string where, byte[] extra)
    {
        byte[] column = [.. Proto.Delimited(1, "d0"u8.ToArray()), .. where == "column" ? extra : [], .. Proto.Delimited(2, [.. Proto.FloatBytes(1), .. Proto.FloatBytes(2)])];
        byte[] features = [.. where == "features" ? extra : [], .. Proto.Delimited(2, column)];
        return [.. Proto.Delimited(1, "tiny"u8.ToArray()), .. where == "request" ? extra : [], .. Proto.Tag(6, WireType.Varint), 2, .. Proto.Delimited(5, features)];
    }
}
