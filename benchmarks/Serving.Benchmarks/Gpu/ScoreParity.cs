using Serving.Batching;
using Serving.Execution;
using Serving.Features;
using Serving.Models;

namespace Serving.Benchmarks;

/// <summary>How far one session's scores are from the reference session's on the same rows.</summary>
internal sealed record ParityResult(int Rows, double MaxAbsDifference, int WorstRow, double Tolerance)
{
    /// <summary>Every score within <see cref="Tolerance"/> of the reference (a NaN never is).</summary>
    public bool Passed => MaxAbsDifference <= Tolerance;
}

/// <summary>Scores the same assembled rows through two sessions of one model (CPU reference, GPU candidate) and compares.</summary>
internal static class ScoreParity
{
    /// <summary>Scores <paramref name="rows"/> synthetic candidates (deterministic per seed) through both replicas of <paramref name="spec"/>.</summary>
    public static ParityResult Compare(ModelSpec spec, SessionReplica reference, SessionReplica candidate, int rows, double tolerance, int seed = 11)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var batch = FeatureAssembler.Assemble(spec, SyntheticRequests.Build(spec, rows, seed), rows);
        var expected = Score(reference, batch, rows);
        var actual = Score(candidate, batch, rows);
        var (difference, worst) = MaxAbsDifference(expected, actual);
        return new ParityResult(rows, difference, worst, tolerance);
    }

    /// <summary>The largest |expected - actual| and its row; a NaN on either side, or a length mismatch, is an infinite difference.</summary>
    public static (double Difference, int Row) MaxAbsDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length)
        {
            return (double.PositiveInfinity, Math.Min(expected.Length, actual.Length));
        }

        var (max, row) = (0.0, 0);
        for (var i = 0; i < expected.Length; i++)
        {
            var difference = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(difference))
            {
                return (double.PositiveInfinity, i);
            }

            if (difference > max)
            {
                (max, row) = (difference, i);
            }
        }

        return (max, row);
    }

    private static float[] Score(SessionReplica replica, FeatureRows batch, int rows)
    {
        var scores = new float[rows];
        replica.Execute([new RowSlice(batch, 0, rows, scores, DateTimeOffset.MaxValue)]);
        return scores;
    }
}
