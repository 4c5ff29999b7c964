using Serving.Features;

namespace Serving.Tests.Features;

public class FeatureHasherTests
{
    [Theory]
    // Reference values of the canonical XXH64 (the xxHash spec's test vectors and python-xxhash).
    [InlineData("", 0UL, 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0UL, 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0UL, 0x44BC2CF5AD770999UL)]
    public void Hash_matches_canonical_xxh64(string value, ulong seed, ulong expected)
    {
        Assert.Equal(expected, FeatureHasher.Hash(value, seed));
    }

    [Fact]
    public void Seed_changes_the_hash()
    {
        Assert.NotEqual(FeatureHasher.Hash("68fd1e64", 0), FeatureHasher.Hash("68fd1e64", 1));
    }

    [Fact]
    public void Long_values_hash_like_short_ones_through_the_pooled_path()
    {
        var longValue = new string('x', 1000);
        var expected = System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(longValue), 5);
        Assert.Equal(expected, FeatureHasher.Hash(longValue, 5));
    }

    [Fact]
    public void Non_ascii_values_hash_their_utf8_bytes()
    {
        var expected = System.IO.Hashing.XxHash64.HashToUInt64("héllo 广告"u8, 0);
        Assert.Equal(expected, FeatureHasher.Hash("héllo 广告", 0));
    }

    [Theory]
    [InlineData(0UL, 10L, 1L)]
    [InlineData(8UL, 10L, 9L)]
    [InlineData(9UL, 10L, 1L)]
    [InlineData(ulong.MaxValue, 2L, 1L)]
    public void Bucket_is_in_1_to_buckets_minus_1(ulong hash, long buckets, long expected)
    {
        Assert.Equal(expected, FeatureHasher.Bucket(hash, buckets));
    }

    [Fact]
    public void Bucket_of_high_bit_hashes_is_computed_unsigned()
    {
        // 2^63 mod 999 computed with unsigned arithmetic; a signed modulo would give a negative bucket.
        const ulong hash = 1UL << 63;
        Assert.Equal(1 + (long)(hash % 999UL), FeatureHasher.Bucket(hash, 1000));
        Assert.InRange(FeatureHasher.Bucket(hash, 1000), 1, 999);
    }

    [Fact]
    public void Empty_value_is_missing_and_gets_the_default_bucket()
    {
        Assert.Equal(3, FeatureHasher.Bucket(""u8, 0, 50, defaultBucket: 3));
    }
}
