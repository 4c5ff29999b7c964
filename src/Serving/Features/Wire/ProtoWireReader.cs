using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Serving.Features.Wire;

/// <summary>
/// Reads the protobuf wire format from a span: tags, varints, fixed32 and length-delimited
/// fields, which come back as slices of the input. Nothing is allocated or decoded, which is the
/// point: Google.Protobuf's public readers always turn a <c>string</c> field into a .NET string,
/// and a 1,024-candidate request carries ~26,000 of them that the server only hashes (as UTF-8).
/// Malformed input throws <see cref="InvalidDataException"/>; callers add the field path.
/// </summary>
/// <param name="data">The message's bytes.</param>
/// <param name="depth">How many messages enclose this one (0 for the request): they count toward <see cref="RecursionLimit"/>.</param>
internal ref struct ProtoWireReader(ReadOnlySpan<byte> data, int depth = 0)
{
    public const int Varint = 0;
    public const int Fixed64 = 1;
    public const int LengthDelimited = 2;
    public const int StartGroup = 3;
    public const int EndGroup = 4;
    public const int Fixed32 = 5;

    /// <summary>
    /// Google.Protobuf's default limit on nesting: an unknown group may start only while fewer
    /// than this many messages and groups enclose it (so 100 nested groups in the request, 98 in
    /// a column), exactly what the generated parser accepts.
    /// </summary>
    public const int RecursionLimit = 100;

    private readonly ReadOnlySpan<byte> _data = data;
    private readonly int _depth = depth;
    private int _position;
    private int _field;

    /// <summary>Reads the next field's tag; false at the end of the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadTag(out int field, out int wireType)
    {
        if (End)
        {
            field = 0;
            wireType = 0;
            return false;
        }

        var tag = ReadVarint();
        if (tag > uint.MaxValue || tag >> 3 == 0)
        {
            throw new InvalidDataException($"invalid tag {tag}");
        }

        field = _field = (int)(tag >> 3);
        wireType = (int)(tag & 7);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadVarint()
    {
        // Tags, lengths of short strings and small ids are one byte: the common case, inlined.
        if (_position < _data.Length && _data[_position] < 0x80)
        {
            return _data[_position++];
        }

        return ReadVarintSlow();
    }

    private ulong ReadVarintSlow()
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new InvalidDataException("truncated varint");
            }

            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("varint longer than 10 bytes");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> ReadLengthDelimited() => _data[ReadLengthDelimitedRange()];

    /// <summary>Where a length-delimited value lies in the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Range ReadLengthDelimitedRange()
    {
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new InvalidDataException($"a length of {length} bytes runs past the end of the message");
        }

        var start = _position;
        _position += (int)length;
        return new Range(start, _position);
    }

    /// <summary>True once every byte has been read (the loop condition for a packed field's values).</summary>
    public readonly bool End => _position >= _data.Length;

    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Advance(4));

    /// <summary>Skips the value of a field just read with <see cref="TryReadTag"/>.</summary>
    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint:
                ReadVarint();
                break;
            case Fixed64:
                Advance(8);
                break;
            case LengthDelimited:
                ReadLengthDelimited();
                break;
            case Fixed32:
                Advance(4);
                break;
            case StartGroup:
                SkipGroup(_field, _depth);
                break;
            default:
                throw new InvalidDataException(wireType == EndGroup ? $"an end-group tag (field {_field}) without its start" : $"unsupported wire type {wireType}");
        }
    }

    /// <summary>
    /// Skips an unknown group (proto2): every field up to the end-group tag of the same field
    /// number, nested groups included, as protobuf skips any unknown field.
    /// </summary>
    private void SkipGroup(int field, int depth)
    {
        if (depth >= RecursionLimit)
        {
            throw new InvalidDataException($"groups nested more than {RecursionLimit} deep");
        }

        while (TryReadTag(out var inner, out var wireType))
        {
            switch (wireType)
            {
                case EndGroup when inner == field:
                    return;
                case EndGroup:
                    throw new InvalidDataException($"group {field} ends with the end-group tag of field {inner}");
                case StartGroup:
                    SkipGroup(inner, depth + 1);
                    break;
                default:
                    Skip(wireType);
                    break;
            }
        }

        throw new InvalidDataException($"group {field} has no end-group tag");
    }

    /// <summary>How many varints a packed repeated field holds.</summary>
    public static int CountPackedVarints(ReadOnlySpan<byte> packed)
    {
        if (packed.Length > 0 && packed[^1] >= 0x80)
        {
            throw new InvalidDataException("truncated varint in a packed field");
        }

        var count = 0;
        foreach (var b in packed)
        {
            count += b < 0x80 ? 1 : 0;
        }

        return count;
    }

    /// <summary>How many floats a packed repeated float field holds.</summary>
    public static int CountPackedFloats(ReadOnlySpan<byte> packed) =>
        packed.Length % 4 == 0
            ? packed.Length / 4
            : throw new InvalidDataException($"a packed float field of {packed.Length} bytes (not a multiple of 4)");

    private ReadOnlySpan<byte> Advance(int bytes)
    {
        if (_data.Length - _position < bytes)
        {
            throw new InvalidDataException("truncated fixed-width value");
        }

        var value = _data.Slice(_position, bytes);
        _position += bytes;
        return value;
    }
}
