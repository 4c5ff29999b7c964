using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Serving.Features;

/// <summary>
/// Encodes categorical values the way the export scripts do: xxHash64 of the UTF-8 bytes with the
/// model's seed, reduced to a bucket in [1, buckets); bucket 0 is reserved for missing values.
/// </summary>
public static class FeatureHasher
{
    private const int StackBytes = 256;

    /// <summary>The canonical XXH64 of the value's UTF-8 bytes.</summary>
    public static ulong Hash(string value, ulong seed)
    {
        if (value.Length <= StackBytes / 3)
        {
            Span<byte> bytes = stackalloc byte[StackBytes];
            var length = Encoding.UTF8.GetBytes(value, bytes);
            return Hash(bytes[..length], seed);
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(value.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(value, rented);
            return Hash(rented.AsSpan(0, length), seed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The canonical XXH64 of a value already in UTF-8 (as it arrives on the wire).</summary>
    public static ulong Hash(ReadOnlySpan<byte> utf8, ulong seed) => XxHash64.HashToUInt64(utf8, unchecked((long)seed));

    /// <summary>Reduces a 64-bit hash to a bucket in [1, buckets).</summary>
    public static long Bucket(ulong hash, long buckets) => 1 + (long)(hash % (ulong)(buckets - 1));

    /// <summary>The bucket of a raw value in UTF-8; the empty value is missing and gets <paramref name="defaultBucket"/>.</summary>
    public static long Bucket(ReadOnlySpan<byte> utf8, ulong seed, long buckets, long defaultBucket) =>
        utf8.IsEmpty ? defaultBucket : Bucket(Hash(utf8, seed), buckets);
}
