using System.Globalization;
using System.Text.RegularExpressions;
using CsCheck;
using Serving.TestSupport.Wire;

namespace Serving.Tests.Features.Differential;

/// <summary>
/// Our wire reader against Google.Protobuf: on random valid requests in every form protobuf
/// allows, reading the bytes ourselves and assembling must give exactly what parsing them with
/// Google.Protobuf and assembling the parsed request gives (the same top-level fields, the same
/// rows buffer by buffer, or the same error); on the same requests mutated, bytes Google.Protobuf
/// refuses must be refused by us too, never accepted or answered with another exception.
/// </summary>
public partial class WireReaderDifferentialTests
{
    private const int Cases = 3000;

    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public void Valid_requests_read_as_google_protobuf_reads_them()
    {
        SeededCases.Check(RandomRankRequests.Valid, Cases, bytes =>
        {
            var expected = Readings.Google(_spec, bytes);
            Assert.NotEqual(Readings.Malformed, expected); // the generator writes only valid protobuf
            AssertSameVerdict(expected, Readings.Ours(_spec, bytes));
        }, Convert.ToHexString);
    }

    private static readonly Gen<(byte[] Bytes, string Mutations)> Mutated =
        from valid in RandomRankRequests.Valid
        from donor in RandomRankRequests.Valid
        from seed in Gen.Int
        select new WireMutator(new Random(seed)).Mutate(valid, donor);

    [Fact]
    public void Mutated_requests_are_refused_where_google_protobuf_refuses_them()
    {
        SeededCases.Check(Mutated, Cases, mutated =>
        {
            var expected = Readings.Google(_spec, mutated.Bytes);
            var actual = Readings.Ours(_spec, mutated.Bytes);
            if (expected == Readings.Malformed)
            {
                Assert.True(Readings.IsInvalid(actual), $"Google.Protobuf refuses the bytes; we read:\n{actual}");
            }
            else if (!StricterThanGoogle(actual))
            {
                AssertSameVerdict(expected, actual);
            }
        }, m => $"{m.Mutations}\n{Convert.ToHexString(m.Bytes)}");
    }

    private static void AssertSameVerdict(string expected, string actual) =>
        Assert.True(Readings.Verdict(expected) == Readings.Verdict(actual), $"Google.Protobuf reads:\n{expected}\nwe read:\n{actual}");

    /// <summary>
    /// Where we refuse what Google.Protobuf reads, on purpose: a tag or a length whose varint
    /// holds more than 32 bits. Google.Protobuf keeps the low 32 bits and reads on; protobuf's
    /// C++ parser refuses such bytes, and so do we, rather than guess at a field.
    /// </summary>
    private static bool StricterThanGoogle(string reading)
    {
        var match = Beyond32Bits().Match(reading);
        return match.Success && ulong.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture) > uint.MaxValue;
    }

    [GeneratedRegex(@"^invalid: .*\((invalid tag|a length of) (?<value>\d+)")]
    private static partial Regex Beyond32Bits();
}
