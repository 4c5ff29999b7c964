using System.Buffers;
using Google.Protobuf;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Features.Wire;
using RequestFeatures = Serving.Contracts.Ranking.V1.Features;

namespace Serving.Tests.Features;

/// <summary>
/// The wire path reads what Google.Protobuf would read: fields in any order, packed or unpacked
/// repeated scalars, unknown fields, a sub-message sent twice (merged). Each request below is
/// written by hand with <see cref="CodedOutputStream"/> and compared with the canonical
/// serialization of the same request.
/// </summary>
public class WireRankRequestTests
{
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public void Top_level_fields_are_read_in_any_order_and_unknown_ones_skipped()
    {
        using var wire = Read(o =>
        {
            o.WriteTag(8, WireFormat.WireType.Varint);
            o.WriteEnum((int)Priority.BestEffort);
            WriteString(o, 99, "ignored");
            WriteCandidateCount(o, -3);
            o.WriteTag(7, WireFormat.WireType.Varint);
            o.WriteUInt32(25);
            WriteString(o, 3, "req-é");
            WriteString(o, 2, "2");
            WriteString(o, 1, "tiny");
        });

        Assert.Null(wire.Problem);
        Assert.Equal(("tiny", "2", "req-é", -3, 25u, Priority.BestEffort), (wire.Model, wire.Version, wire.RequestId, wire.CandidateCount, wire.BudgetMs, wire.Priority));
    }

    [Fact]
    public void Unpacked_repeated_scalars_and_reordered_column_fields_assemble_like_the_canonical_form()
    {
        using var wire = Read(o =>
        {
            WriteCandidateCount(o, 3);
            WriteMessage(o, 5, features =>
            {
                WriteMessage(features, 2, dense =>
                {
                    foreach (var v in new[] { 0f, 1f, float.NaN })
                    {
                        dense.WriteTag(2, WireFormat.WireType.Fixed32); // unpacked
                        dense.WriteFloat(v);
                    }

                    WriteString(dense, 1, "d0"); // name last
                });
                WriteMessage(features, 1, sparse =>
                {
                    WriteString(sparse, 2, "a");
                    WriteString(sparse, 1, "s0");
                    WriteString(sparse, 2, "");
                    WriteString(sparse, 2, "b");
                });
                WriteMessage(features, 1, sparse =>
                {
                    WriteString(sparse, 1, "s1");
                    foreach (var id in new long[] { 11, -1, 0 })
                    {
                        sparse.WriteTag(3, WireFormat.WireType.Varint); // unpacked
                        sparse.WriteInt64(id);
                    }
                });
            });
        });

        AssertSameRows(Canonical(), wire);
    }

    [Fact]
    public void A_sub_message_sent_twice_is_merged_as_protobuf_does()
    {
        var whole = new RankRequest { Model = "tiny", CandidateCount = 2, Candidates = new RequestFeatures() };
        whole.Candidates.Sparse.Add(new SparseColumn { Name = "s0", Values = { "x", "y" } });
        whole.Candidates.Dense.Add(new DenseColumn { Name = "d1", Values = { 4f, 5f } });
        var first = new RequestFeatures();
        first.Sparse.Add(whole.Candidates.Sparse[0]);
        var second = new RequestFeatures();
        second.Dense.Add(whole.Candidates.Dense[0]);

        using var wire = Read(o =>
        {
            WriteString(o, 1, "tiny");
            WriteCandidateCount(o, 2);
            o.WriteTag(5, WireFormat.WireType.LengthDelimited);
            o.WriteMessage(first);
            o.WriteTag(5, WireFormat.WireType.LengthDelimited);
            o.WriteMessage(second);
        });

        AssertSameRows(whole, wire);
    }

    [Fact]
    public void A_truncated_request_is_a_problem_naming_the_request()
    {
        var bytes = Canonical().ToByteArray();

        using var wire = WireRankRequest.Read(new ReadOnlySequence<byte>(bytes, 0, bytes.Length - 3));

        Assert.NotNull(wire.Problem);
        Assert.Equal("request", wire.Problem.Field);
        Assert.Throws<InvalidRequestException>(() => FeatureAssembler.Assemble(_spec, wire, 100));
    }

    [Fact]
    public void A_malformed_column_names_the_column()
    {
        using var wire = OneCandidateColumn(2, dense =>
        {
            WriteString(dense, 1, "d0");
            dense.WriteTag(2, WireFormat.WireType.LengthDelimited);
            dense.WriteBytes(ByteString.CopyFrom(1, 2, 3, 4, 5)); // 5 bytes: not whole floats
        });

        var ex = Assert.Throws<InvalidRequestException>(() => FeatureAssembler.Assemble(_spec, wire, 100));

        Assert.Equal("candidates.dense[0]", ex.Field);
        Assert.Contains("not a multiple of 4", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_that_is_not_utf8_names_its_index()
    {
        using var wire = OneCandidateColumn(1, sparse =>
        {
            WriteString(sparse, 1, "s0");
            WriteString(sparse, 2, "ok");
            sparse.WriteTag(2, WireFormat.WireType.LengthDelimited);
            sparse.WriteBytes(ByteString.CopyFrom(0xC3, 0x28)); // an invalid two-byte sequence
        });

        var ex = Assert.Throws<InvalidRequestException>(() => FeatureAssembler.Assemble(_spec, wire, 100));

        Assert.Equal("candidates.sparse[0] ('s0').values[1]: is not valid UTF-8", ex.Message);
    }

    /// <summary>
    /// The last name written wins, but protobuf refuses a message in which any string is not
    /// UTF-8, the replaced ones too (found by the differential test: we read such a column as 'd0').
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_column_name_replaced_by_a_later_one_must_still_be_utf8(int columnsField)
    {
        using var wire = OneCandidateColumn(columnsField, column =>
        {
            column.WriteTag(1, WireFormat.WireType.LengthDelimited);
            column.WriteBytes(ByteString.CopyFrom(0xE2, 0x82)); // a truncated three-byte sequence
            WriteString(column, 1, columnsField == 1 ? "s0" : "d0");
            foreach (var value in new[] { "a", "b" })
            {
                if (columnsField == 1)
                {
                    WriteString(column, 2, value);
                }
                else
                {
                    column.WriteTag(2, WireFormat.WireType.Fixed32);
                    column.WriteFloat(1f);
                }
            }
        });

        var ex = Assert.Throws<InvalidRequestException>(() => FeatureAssembler.Assemble(_spec, wire, 100));

        Assert.Equal($"candidates.{(columnsField == 1 ? "sparse" : "dense")}[0].name: is not valid UTF-8", ex.Message);
    }

    [Fact]
    public void Disposing_returns_the_buffer_and_keeps_the_top_level_fields()
    {
        var wire = WireRankRequest.From(Canonical());

        wire.Dispose();
        wire.Dispose();

        Assert.Equal("tiny", wire.Model);
        Assert.Throws<ObjectDisposedException>(() => FeatureAssembler.Assemble(_spec, wire, 100));
    }

    private static RankRequest Canonical()
    {
        var request = new RankRequest { Model = "tiny", CandidateCount = 3, Candidates = new RequestFeatures() };
        request.Candidates.Dense.Add(new DenseColumn { Name = "d0", Values = { 0f, 1f, float.NaN } });
        request.Candidates.Sparse.Add(new SparseColumn { Name = "s0", Values = { "a", "", "b" } });
        request.Candidates.Sparse.Add(new SparseColumn { Name = "s1", Ids = { 11, -1, 0 } });
        return request;
    }

    /// <summary>The hand-written bytes assemble exactly as the canonical serialization of <paramref name="expected"/>.</summary>
    private void AssertSameRows(RankRequest expected, WireRankRequest actual)
    {
        using var expectedRows = FeatureAssembler.Assemble(_spec, expected, 100);
        using var actualRows = FeatureAssembler.Assemble(_spec, actual, 100);

        Assert.Equal(expectedRows.Float32(0).ToArray(), actualRows.Float32(0).ToArray());
        Assert.Equal(expectedRows.Int64(1).ToArray(), actualRows.Int64(1).ToArray());
    }

    /// <summary>Two candidates carrying one column (<paramref name="columnsField"/> 1: sparse, 2: dense), written by <paramref name="column"/>.</summary>
    private static WireRankRequest OneCandidateColumn(int columnsField, Action<CodedOutputStream> column) => Read(o =>
    {
        WriteCandidateCount(o, 2);
        WriteMessage(o, 5, features => WriteMessage(features, columnsField, column));
    });

    private static void WriteString(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    [Fact]
    public void Sparse_and_dense_columns_share_the_name_and_values_field_numbers_the_column_walker_reads()
    {
        // WireColumn.Scan reads both column messages with one switch: a proto change that moved
        // either field in one message only would silently misread the other.
        Assert.Equal(SparseColumn.NameFieldNumber, DenseColumn.NameFieldNumber);
        Assert.Equal(SparseColumn.ValuesFieldNumber, DenseColumn.ValuesFieldNumber);
    }

    private static void WriteCandidateCount(CodedOutputStream output, int count)
    {
        output.WriteTag(6, WireFormat.WireType.Varint);
        output.WriteInt32(count);
    }

    private static WireRankRequest Read(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return WireRankRequest.Read(new ReadOnlySequence<byte>(buffer.ToArray()));
    }

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var inner = new CodedOutputStream(buffer);
        write(inner);
        inner.Flush();
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(buffer.ToArray()));
    }
}
