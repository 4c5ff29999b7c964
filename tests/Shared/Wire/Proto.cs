using System.Buffers.Binary;
using WireType = Google.Protobuf.WireFormat.WireType;

namespace Serving.TestSupport.Wire;

/// <summary>
/// Writes protobuf wire bytes by hand, including forms no serializer writes but a parser must
/// accept (padded varints, any field order) and ones it must refuse (any tag, any length).
/// Shared by the unit differential test and the integration fuzzer (linked into both projects).
/// </summary>
internal static class Proto
{
    /// <summary>A varint, padded with redundant continuation bytes to at least <paramref name="minBytes"/> (valid up to 10).</summary>
    public static byte[] VarintBytes(ulong value, int minBytes = 1)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value != 0 || bytes.Count + 1 < minBytes ? (byte)(b | 0x80) : b);
        }
        while (value != 0 || bytes.Count < minBytes);

        return [.. bytes];
    }

    /// <summary>A tag; any wire type (Google.Protobuf's names), 6 and 7 too, and any field number, 0 too.</summary>
    public static byte[] Tag(long field, WireType wireType, int minBytes = 1) => VarintBytes(((ulong)field << 3) | (uint)wireType, minBytes);

    public static byte[] Fixed32Bytes(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] FloatBytes(float value) => Fixed32Bytes(BitConverter.SingleToUInt32Bits(value));

    /// <summary>A length-delimited field: tag, length, contents.</summary>
    public static byte[] Delimited(long field, byte[] contents, int padTag = 1, int padLength = 1) =>
        [.. Tag(field, WireType.LengthDelimited, padTag), .. VarintBytes((ulong)contents.Length, padLength), .. contents];

    public static byte[] Concat(IEnumerable<byte[]> parts) => [.. parts.SelectMany(p => p)];
}
