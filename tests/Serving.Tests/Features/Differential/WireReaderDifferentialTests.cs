using System.Globalization;
using System.Text.RegularExpressions;
using CsCheck;
using Xunit.Abstractions;
using Serving.TestSupport.Wire;

namespace Serving.Tests.Features.Differential;

/// <summary>
/// Our wire reader against Google.Protobuf: on random valid requests in every form protobuf
/// allows, reading the bytes ourselves and assembling must give exactly what parsing them with
/// Google.Protobuf and assembling the parsed request gives (the same top-level fields, the same
/// rows buffer by buffer, or the same error); on the same requests mutated, bytes Google.Protobuf
/// refuses must be refused by us too, never accepted or answered with another exception.
/// </summary>
public partial class WireReaderDifferentialTests(ITestOutputHelper output)
{
    private const int Cases = 5000;

    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public void Valid_requests_read_as_google_protobuf_reads_them()
    {
        var invalid = 0;
        SeededCases.Check(RandomRankRequests.Valid, Cases, bytes =>
        {
            var expected = Readings.Google(_spec, bytes);
            Assert.NotEqual(Readings.Malformed, expected); // the generator writes only valid protobuf
            AssertSameVerdict(expected, Readings.Ours(_spec, bytes));
            invalid += Readings.IsInvalid(expected) ? 1 : 0;
        }, Convert.ToHexString);

        output.WriteLine($"{Cases} valid requests: {Cases - invalid} assembled identically, {invalid} refused by the assembler in both readings");
    }

    private static readonly Gen<(byte[] Bytes, string Mutations)> Mutated =
        from valid in RandomRankRequests.Valid
        from donor in RandomRankRequests.Valid
        from seed in Gen.Int
        select new WireMutator(new Random(seed)).Mutate(valid, donor);

    [Fact]
    public void Mutated_requests_are_refused_where_google_protobuf_refuses_them()
    {
        var (malformed, assembled, invalid, stricter) = (0, 0, 0, 0);
        SeededCases.Check(Mutated, Cases, mutated =>
        {
            var expected = Readings.Google(_spec, mutated.Bytes);
            var actual = Readings.Ours(_spec, mutated.Bytes);
            if (expected == Readings.Malformed)
            {
                Assert.True(Readings.IsInvalid(actual), $"Google.Protobuf refuses the bytes; we read:\n{actual}");
                malformed++;
            }
            else if (StricterThanGoogle(actual))
            {
                stricter++;
            }
            else
            {
                AssertSameVerdict(expected, actual);
                _ = Readings.IsInvalid(actual) ? invalid++ : assembled++;
            }
        }, m => $"{m.Mutations}\n{Convert.ToHexString(m.Bytes)}");

        // What the mutations reached, so a change that made them all fail early would show.
        output.WriteLine($"{Cases} mutated requests: {malformed} refused by both, {invalid} read by both and refused by the assembler, {assembled} assembled identically, {stricter} refused only by us (tags over 32 bits, lengths over int32)");
    }

    private static void AssertSameVerdict(string expected, string actual) =>
        Assert.True(Readings.Verdict(expected) == Readings.Verdict(actual), $"Google.Protobuf reads:\n{expected}\nwe read:\n{actual}");

    /// <summary>
    /// Where we refuse what Google.Protobuf reads, on purpose: a tag whose varint holds more than
    /// 32 bits, or a length past int32. Google.Protobuf keeps a tag's or a length's low 32 bits
    /// and reads on, and takes a length of 2^31 or more on a packed field for an empty run (its
    /// <c>RepeatedField.AddEntriesFrom</c> reads only <c>if (length &gt; 0)</c>), then reads the
    /// bytes that follow as fields. Protobuf's C++ parser refuses such bytes, and so do we,
    /// rather than guess at a field.
    /// </summary>
    private static bool StricterThanGoogle(string reading)
    {
        var match = OutOfRange().Match(reading);
        if (!match.Success)
        {
            return false;
        }

        var value = ulong.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        return match.Groups["what"].Value == "invalid tag" ? value > uint.MaxValue : value > int.MaxValue;
    }

    [GeneratedRegex(@"invalid: .*\((?<what>invalid tag|a length of) (?<value>\d+)")]
    private static partial Regex OutOfRange();
}
