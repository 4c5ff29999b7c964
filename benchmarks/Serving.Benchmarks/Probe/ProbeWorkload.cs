using System.Globalization;
using Serving.Contracts.Ranking.V1;
using Serving.Models;
using FeatureKind = Serving.Models.FeatureKind;

namespace Serving.Benchmarks;

/// <summary>
/// The probe's request pool: candidates per request fixed or log-normal (mean after the cap as
/// asked, like the load generator's default), features replayed from a Criteo .txt file (read at
/// run time from the path given) or synthesised from the model spec.
/// </summary>
internal static class ProbeWorkload
{
    private static readonly string[] CriteoColumns =
        ["label", .. Enumerable.Range(1, 13).Select(i => "I" + i.ToString(CultureInfo.InvariantCulture)),
         .. Enumerable.Range(1, 26).Select(i => "C" + i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>Candidate counts: <c>fixed:N</c> or <c>lognormal:MEAN,SIGMA,MAX</c>.</summary>
    public static Func<Random, int> ParseCandidates(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':', 2);
        var c = CultureInfo.InvariantCulture;
        if (parts[0] == "fixed")
        {
            var n = int.Parse(parts[1], c);
            return _ => n;
        }

        if (parts[0] != "lognormal")
        {
            throw new ArgumentException($"--candidates must be fixed:N or lognormal:MEAN,SIGMA,MAX, got '{text}'");
        }

        var values = (parts.Length > 1 ? parts[1] : "165,1.0,1024").Split(',').Select(v => double.Parse(v, c)).ToArray();
        var (mean, sigma, max) = (values[0], values.Length > 1 ? values[1] : 1.0, values.Length > 2 ? (int)values[2] : 1024);
        var mu = SolveMu(mean, sigma, max);
        return random => Math.Clamp((int)Math.Round(Math.Exp(mu + (sigma * Gaussian(random)))), 1, max);
    }

    public static List<RankRequest> Build(ModelSpec spec, string candidates, string? dataPath, int poolSize, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var draw = ParseCandidates(candidates);
        var random = new Random(seed);
        var counts = Enumerable.Range(0, poolSize).Select(_ => draw(random)).ToList();
        var pool = new List<RankRequest>(poolSize);
        if (dataPath is null)
        {
            for (var i = 0; i < poolSize; i++)
            {
                pool.Add(SyntheticRequests.Build(spec, counts[i], seed + i));
            }

            return pool;
        }

        var lines = File.ReadLines(dataPath).Take(10_000).Select(l => l.Split('\t')).Where(f => f.Length >= CriteoColumns.Length).ToList();
        if (lines.Count == 0)
        {
            throw new ArgumentException($"no Criteo rows in {dataPath}");
        }

        var columnOf = spec.Features.Select(f => Array.IndexOf(CriteoColumns, f.Name)).ToArray();
        var next = 0;
        for (var i = 0; i < poolSize; i++)
        {
            var n = counts[i];
            var request = new RankRequest
            {
                Model = spec.Name,
                RequestId = "probe-" + i.ToString(CultureInfo.InvariantCulture),
                CandidateCount = n,
                Candidates = new Contracts.Ranking.V1.Features(),
            };
            var dense = new List<DenseColumn>();
            var sparse = new List<SparseColumn>();
            for (var f = 0; f < spec.Features.Count; f++)
            {
                if (columnOf[f] < 0)
                {
                    continue;
                }

                if (spec.Features[f].Kind == FeatureKind.Dense)
                {
                    var column = new DenseColumn { Name = spec.Features[f].Name };
                    for (var r = 0; r < n; r++)
                    {
                        var raw = lines[(next + r) % lines.Count][columnOf[f]];
                        column.Values.Add(raw.Length == 0 ? float.NaN : float.Parse(raw, CultureInfo.InvariantCulture));
                    }

                    dense.Add(column);
                }
                else
                {
                    var column = new SparseColumn { Name = spec.Features[f].Name };
                    for (var r = 0; r < n; r++)
                    {
                        column.Values.Add(lines[(next + r) % lines.Count][columnOf[f]]);
                    }

                    sparse.Add(column);
                }
            }

            request.Candidates.Dense.AddRange(dense);
            request.Candidates.Sparse.AddRange(sparse);
            next = (next + n) % lines.Count;
            pool.Add(request);
        }

        return pool;
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>The location parameter whose capped, rounded draws have the given mean (found by bisection on a fixed sample).</summary>
    private static double SolveMu(double mean, double sigma, int max)
    {
        var random = new Random(12345);
        var z = Enumerable.Range(0, 100_000).Select(_ => Gaussian(random)).ToArray();
        double lo = -5, hi = Math.Log(max) + 1;
        for (var i = 0; i < 60; i++)
        {
            var mid = (lo + hi) / 2;
            var m = z.Average(x => (double)Math.Clamp((int)Math.Round(Math.Exp(mid + (sigma * x))), 1, max));
            if (m < mean)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return (lo + hi) / 2;
    }
}
