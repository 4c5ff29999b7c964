using System.Buffers;
using Serving.Contracts.Ranking.V1;

namespace Serving.Api.TransportFloor;

/// <summary>
/// The transport floor's only look at a Rank request: the top-level tags of the payload, in place
/// (no copy). It reads the varint of <c>candidate_count</c> (field 6; the last one wins, as in
/// protobuf) and skips every other field by its wire type: a length-delimited field (model,
/// context, candidates, ...) by its length prefix without reading its bytes, a varint, a fixed32 or
/// a fixed64 by its size. Groups, invalid tags and truncated input are reported, never thrown.
/// </summary>
internal static class CandidateCountScan
{
    /// <summary>The request's <c>candidate_count</c> (0 when absent), or the problem that stopped the scan.</summary>
    public static (int CandidateCount, string? Problem) Read(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        var count = 0;
        while (!reader.End)
        {
            if (!TryReadVarint(ref reader, out var tag) || tag >> 3 == 0 || tag > uint.MaxValue)
            {
                return (0, "malformed tag");
            }

            var field = (int)(tag >> 3);
            var wireType = (int)(tag & 7);
            switch (wireType)
            {
                case 0:
                    if (!TryReadVarint(ref reader, out var value))
                    {
                        return (0, "truncated varint");
                    }

                    if (field == RankRequest.CandidateCountFieldNumber)
                    {
                        count = unchecked((int)value);
                    }

                    break;
                case 1 when reader.Remaining >= 8:
                    reader.Advance(8);
                    break;
                case 2:
                    if (!TryReadVarint(ref reader, out var length) || length > (ulong)reader.Remaining)
                    {
                        return (0, "truncated length-delimited field");
                    }

                    reader.Advance((long)length);
                    break;
                case 5 when reader.Remaining >= 4:
                    reader.Advance(4);
                    break;
                default:
                    return (0, $"field {field}: wire type {wireType} not read by the transport floor");
            }
        }

        return (count, null);
    }

    private static bool TryReadVarint(ref SequenceReader<byte> reader, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                return false;
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
