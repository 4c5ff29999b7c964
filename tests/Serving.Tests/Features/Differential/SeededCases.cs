using CsCheck;
using Xunit.Sdk;

namespace Serving.Tests.Features.Differential;

/// <summary>
/// Runs a property over generated cases with fixed seeds: case i comes from <c>new PCG(Stream, i)</c>,
/// so every run sees the same cases and a failure names the case that replays it. (CsCheck's own
/// <c>Sample</c> pins only its first iteration to a seed and draws the rest at random.)
/// </summary>
internal static class SeededCases
{
    public const uint Stream = 20_260_101;

    public static void Check<T>(Gen<T> gen, int count, Action<T> property, Func<T, string> print)
    {
        for (var i = 0; i < count; i++)
        {
            var value = Case(gen, i);
            try
            {
                property(value);
            }
            catch (Exception ex)
            {
                throw new XunitException($"case {i} (SeededCases.Case(gen, {i}), PCG stream {Stream}) failed: {print(value)}\n{ex.Message}", ex);
            }
        }
    }

    /// <summary>Case <paramref name="index"/> of <paramref name="gen"/>, as <see cref="Check{T}"/> generates it.</summary>
    public static T Case<T>(Gen<T> gen, int index) => gen.Generate(new PCG(Stream, (ulong)index), null, out _);
}
