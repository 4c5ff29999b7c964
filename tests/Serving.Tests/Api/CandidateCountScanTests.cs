using System.Buffers;
using Google.Protobuf;
using Serving.Api.TransportFloor;
using Serving.Contracts.Ranking.V1;

namespace Serving.Tests.Api;

public class CandidateCountScanTests
{
    [Fact]
    public void Reads_candidate_count_after_the_columns_it_skips()
    {
        var request = new RankRequest { Model = "m", RequestId = "r", CandidateCount = 3, BudgetMs = 7, Candidates = new Contracts.Ranking.V1.Features() };
        request.Candidates.Dense.Add(new DenseColumn { Name = "I1", Values = { 1, 2, 3 } });
        request.Candidates.Sparse.Add(new SparseColumn { Name = "C1", Values = { "a", "b", "c" } });

        var (count, problem) = CandidateCountScan.Read(new ReadOnlySequence<byte>(request.ToByteArray()));

        Assert.Null(problem);
        Assert.Equal(3, count);
    }

    [Fact]
    public void Reads_across_segments_and_the_last_value_wins()
    {
        var first = new RankRequest { CandidateCount = 2, Model = new string('x', 300) }.ToByteArray();
        var second = new RankRequest { CandidateCount = 9 }.ToByteArray();
        var bytes = first.Concat(second).ToArray(); // protobuf merges concatenated messages

        var (count, problem) = CandidateCountScan.Read(Split(bytes, 5));

        Assert.Null(problem);
        Assert.Equal(9, count);
    }

    [Fact]
    public void Reports_a_truncated_field_instead_of_reading_past_the_end()
    {
        var bytes = new RankRequest { Model = "model", CandidateCount = 4 }.ToByteArray();

        var (_, problem) = CandidateCountScan.Read(new ReadOnlySequence<byte>(bytes.AsMemory(0, 4)));

        Assert.NotNull(problem);
    }

    [Fact]
    public void An_absent_count_reads_as_zero()
    {
        var (count, problem) = CandidateCountScan.Read(new ReadOnlySequence<byte>(new RankRequest { Model = "m" }.ToByteArray()));

        Assert.Null(problem);
        Assert.Equal(0, count);
    }

    /// <summary>A sequence of segments of <paramref name="size"/> bytes, so fields straddle them.</summary>
    private static ReadOnlySequence<byte> Split(byte[] bytes, int size)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += size)
        {
            var memory = bytes.AsMemory(offset, Math.Min(size, bytes.Length - offset));
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
