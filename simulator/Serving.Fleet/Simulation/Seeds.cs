namespace Serving.Fleet.Simulation;

/// <summary>Derives independent, reproducible random streams from the run's seed and a name.</summary>
internal static class Seeds
{
    /// <summary>A generator for <paramref name="stream"/>: the same seed and name give the same numbers on every machine.</summary>
    public static Random For(int seed, string stream) => new(Mix(seed, stream));

    /// <summary>FNV-1a over the name, mixed with the seed (string.GetHashCode is randomised per process).</summary>
    public static int Mix(int seed, string stream)
    {
        var hash = 2166136261u ^ (uint)seed;
        foreach (var c in stream)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & 0x7FFFFFFF);
    }
}
