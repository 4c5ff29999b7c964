namespace Serving.TestSupport;

/// <summary>
/// The raw-byte mutations both fuzzers' mutators use (protobuf and JSON): bit flips, inserted
/// random bytes, deleted bytes, truncation, and a splice with another valid input. Each returns
/// what it did, for the case's description.
/// </summary>
internal static class RawMutations
{
    public const int Kinds = 5;

    /// <summary>Applies mutation <paramref name="kind"/> (0 to <see cref="Kinds"/> - 1) to <paramref name="bytes"/>.</summary>
    public static string Apply(Random random, int kind, ref byte[] bytes, byte[] donor)
    {
        switch (kind)
        {
            case 0:
                var flipped = (byte[])bytes.Clone();
                var flips = new List<string>();
                for (var i = random.Next(1, 9); i > 0 && flipped.Length > 0; i--)
                {
                    var at = random.Next(flipped.Length);
                    var bit = random.Next(8);
                    flipped[at] ^= (byte)(1 << bit);
                    flips.Add($"{at}.{bit}");
                }

                bytes = flipped;
                return $"bit-flip at byte.bit {string.Join(",", flips)}";
            case 1:
                var insertAt = random.Next(bytes.Length + 1);
                var inserted = new byte[random.Next(1, 5)];
                random.NextBytes(inserted);
                bytes = [.. bytes[..insertAt], .. inserted, .. bytes[insertAt..]];
                return $"insert {Convert.ToHexString(inserted)} at {insertAt}";
            case 2:
                var deleteAt = random.Next(bytes.Length + 1);
                var deleted = Math.Min(random.Next(1, 5), bytes.Length - deleteAt);
                bytes = [.. bytes[..deleteAt], .. bytes[(deleteAt + deleted)..]];
                return $"delete {deleted} bytes at {deleteAt}";
            case 3:
                var keep = random.Next(bytes.Length);
                var length = bytes.Length;
                bytes = bytes[..keep];
                return $"truncate to {keep} of {length} bytes";
            default:
                var head = random.Next(bytes.Length + 1);
                var tail = random.Next(donor.Length + 1);
                bytes = [.. bytes[..head], .. donor[tail..]];
                return $"splice: first {head} bytes, then the donor from byte {tail}";
        }
    }
}
