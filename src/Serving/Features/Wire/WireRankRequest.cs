using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Google.Protobuf;
using Serving.Contracts.Ranking.V1;

namespace Serving.Features.Wire;

/// <summary>
/// A <see cref="RankRequest"/> as it arrived on the wire: the serialized bytes in a pooled buffer (<see cref="RequestBuffers"/>),
/// the small top-level fields read out, and where the <c>context</c> and <c>candidates</c>
/// messages lie. <see cref="FeatureAssembler"/> reads the feature columns straight from the bytes,
/// hashing each categorical value's UTF-8 without making a string of it. Disposing returns the
/// buffer; the top-level fields stay readable.
/// </summary>
public sealed class WireRankRequest : IDisposable
{
    private readonly int _length;
    private readonly List<Range> _context = [];
    private readonly List<Range> _candidates = [];
    private byte[]? _buffer;

    private WireRankRequest(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
        try
        {
            ReadTopLevel();
        }
        catch (InvalidDataException ex)
        {
            Problem = new InvalidRequestException("request", $"is not a valid serialized RankRequest ({ex.Message})");
        }
        catch (InvalidRequestException ex)
        {
            Problem = ex;
        }
    }

    public string Model { get; private set; } = "";

    public string Version { get; private set; } = "";

    public string RequestId { get; private set; } = "";

    public int CandidateCount { get; private set; }

    public uint BudgetMs { get; private set; }

    public Priority Priority { get; private set; }

    /// <summary>Set when the top-level fields could not be read; the request cannot be scored.</summary>
    public InvalidRequestException? Problem { get; }

    /// <summary>The <c>context</c> message (several parts if the field was sent more than once: protobuf merges them).</summary>
    internal IReadOnlyList<Range> Context => _context;

    /// <summary>The <c>candidates</c> message, in parts like <see cref="Context"/>.</summary>
    internal IReadOnlyList<Range> Candidates => _candidates;

    /// <summary>Copies a gRPC payload into a pooled buffer and reads its top-level fields.</summary>
    public static WireRankRequest Read(ReadOnlySequence<byte> payload)
    {
        var length = checked((int)payload.Length);
        var buffer = RequestBuffers.Rent(length);
        payload.CopyTo(buffer);
        return new WireRankRequest(buffer, length);
    }

    /// <summary>Serializes an already parsed request (REST, through JSON transcoding; tests) so it takes the same path.</summary>
    public static WireRankRequest From(RankRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var length = request.CalculateSize();
        var buffer = RequestBuffers.Rent(length);
        request.WriteTo(buffer.AsSpan(0, length));
        return new WireRankRequest(buffer, length);
    }

    /// <summary>A copy with its own pooled buffer (a shadow call reads it after this one is disposed).</summary>
    public WireRankRequest Copy()
    {
        var source = _buffer ?? throw new ObjectDisposedException(nameof(WireRankRequest));
        var buffer = RequestBuffers.Rent(_length);
        source.AsSpan(0, _length).CopyTo(buffer);
        return new WireRankRequest(buffer, _length);
    }

    internal ReadOnlySpan<byte> Bytes(Range range) =>
        (_buffer ?? throw new ObjectDisposedException(nameof(WireRankRequest))).AsSpan(0, _length)[range];

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            RequestBuffers.Return(buffer);
        }
    }

    private void ReadTopLevel()
    {
        var reader = new ProtoWireReader(_buffer.AsSpan(0, _length));
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch ((field, wireType))
            {
                case (RankRequest.ModelFieldNumber, ProtoWireReader.LengthDelimited):
                    Model = Utf8String(reader.ReadLengthDelimited(), "model");
                    break;
                case (RankRequest.VersionFieldNumber, ProtoWireReader.LengthDelimited):
                    Version = Utf8String(reader.ReadLengthDelimited(), "version");
                    break;
                case (RankRequest.RequestIdFieldNumber, ProtoWireReader.LengthDelimited):
                    RequestId = Utf8String(reader.ReadLengthDelimited(), "request_id");
                    break;
                case (RankRequest.ContextFieldNumber, ProtoWireReader.LengthDelimited):
                    _context.Add(reader.ReadLengthDelimitedRange());
                    break;
                case (RankRequest.CandidatesFieldNumber, ProtoWireReader.LengthDelimited):
                    _candidates.Add(reader.ReadLengthDelimitedRange());
                    break;
                case (RankRequest.CandidateCountFieldNumber, ProtoWireReader.Varint):
                    CandidateCount = unchecked((int)reader.ReadVarint());
                    break;
                case (RankRequest.BudgetMsFieldNumber, ProtoWireReader.Varint):
                    BudgetMs = unchecked((uint)reader.ReadVarint());
                    break;
                case (RankRequest.PriorityFieldNumber, ProtoWireReader.Varint):
                    Priority = (Priority)unchecked((int)reader.ReadVarint());
                    break;
                default:
                    reader.Skip(wireType); // unknown fields are ignored, as protobuf does
                    break;
            }
        }
    }

    /// <summary>Decodes a (short) string field; protobuf strings must be valid UTF-8.</summary>
    internal static string Utf8String(ReadOnlySpan<byte> utf8, string field) =>
        Utf8.IsValid(utf8) ? Encoding.UTF8.GetString(utf8) : throw new InvalidRequestException(field, "is not valid UTF-8");
}
