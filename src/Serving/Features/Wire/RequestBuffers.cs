using System.Buffers;

namespace Serving.Features.Wire;

/// <summary>
/// The pool of the wire requests' byte buffers. Not <see cref="ArrayPool{T}.Shared"/>: that one
/// keeps every size it is given, so a burst of maximum-size calls (4 MiB each by default) would stay resident
/// in it, several per core. Buffers up to <see cref="MaxPooledBytes"/> (every legitimate request:
/// 4,096 candidates of the shipped models are ~1.3 MB) are pooled, at most
/// <see cref="MaxBuffersPerSize"/> of each size; larger ones are allocated for the call and left to
/// the collector.
/// </summary>
internal static class RequestBuffers
{
    public const int MaxPooledBytes = 2 * 1024 * 1024;
    public const int MaxBuffersPerSize = 32;

    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(MaxPooledBytes, MaxBuffersPerSize);

    public static byte[] Rent(int bytes) => Pool.Rent(Math.Max(bytes, 1));

    /// <summary>Takes the buffer back (one larger than <see cref="MaxPooledBytes"/> is dropped).</summary>
    public static void Return(byte[] buffer) => Pool.Return(buffer);
}
