using System.Collections.Concurrent;
using System.Diagnostics;

namespace Serving.IntegrationTests.Fuzz;

/// <summary>
/// Sends fuzz cases with a bounded number in flight and collects the answers by kind and every
/// answer that must not happen, each with the description that reproduces its case.
/// </summary>
internal sealed class FuzzRun
{
    /// <summary>Calls in flight at once: enough to overlap calls in the batcher, few enough for a 2-core machine.</summary>
    public const int InFlight = 16;

    private readonly ConcurrentDictionary<string, int> _answers = new();
    private readonly ConcurrentBag<(int Case, string Failure)> _failures = [];
    private readonly Stopwatch _clock = new();

    public TimeSpan Elapsed => _clock.Elapsed;

    public async Task SendAsync(int cases, Func<int, Task> send)
    {
        _clock.Start();
        await Parallel.ForEachAsync(Enumerable.Range(0, cases), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (i, _) => await send(i));
        _clock.Stop();
    }

    public void Count(string answer) => _answers.AddOrUpdate(answer, 1, (_, n) => n + 1);

    public void Fail(int @case, string failure) => _failures.Add((@case, failure));

    /// <summary>The answers by kind, most frequent first.</summary>
    public string Answers => string.Join(", ", _answers.OrderByDescending(a => a.Value).Select(a => $"{a.Key}: {a.Value}"));

    /// <summary>Fails with the first failures in case order and what the server logged at Error meanwhile.</summary>
    public void AssertNoFailures(ServerErrorLog log)
    {
        var failures = _failures.OrderBy(f => f.Case).ToList();
        Assert.True(
            failures.Count == 0 && log.Entries.Count == 0,
            $"{failures.Count} answers that must not happen ({Answers}); the first:\n"
            + string.Join("\n", failures.Take(10).Select(f => f.Failure))
            + $"\nserver errors logged: {log.Entries.Count}\n" + string.Join("\n", log.Entries.Take(3)));
    }
}
