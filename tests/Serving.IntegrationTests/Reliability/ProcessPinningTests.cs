namespace Serving.IntegrationTests.Reliability;

/// <summary>Runs alone: it pins the whole test process for a moment.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PinsTheProcess
{
    public const string Name = "pins the process";
}

[Collection(PinsTheProcess.Name)]
public class ProcessPinningTests
{
    [Fact]
    public void Every_thread_of_the_process_is_pinned_and_put_back()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var mask = Environment.ProcessorCount > 1 ? 2UL : 1UL;
        var before = ProcessPinning.ThreadIds().ToDictionary(id => id, id => ProcessPinning.AffinityOf(id));
        using (var started = new ManualResetEventSlim())
        using (var release = new ManualResetEventSlim())
        {
            Thread? thread;
            using (var pinning = ProcessPinning.Pin(mask))
            {
                Assert.True(pinning.PinnedThreads >= before.Count - 1, $"{pinning.PinnedThreads} of {before.Count} threads pinned"); // one may end meanwhile
                var unpinned = ProcessPinning.ThreadIds().Where(id => ProcessPinning.AffinityOf(id) is { } m && m != mask).ToList();
                Assert.True(unpinned.Count == 0, "threads not pinned: " + string.Join(", ", unpinned));

                thread = new Thread(() =>
                {
                    started.Set();
                    release.Wait();
                });
                thread.Start();
                started.Wait();
                var newThread = ProcessPinning.ThreadIds().Except(before.Keys).Select(ProcessPinning.AffinityOf).ToList();
                Assert.All(newThread, m => Assert.True(m is null || m == mask, $"a thread started while pinned has mask {m}"));
            }

            foreach (var (id, mask0) in before)
            {
                if (ProcessPinning.AffinityOf(id) is { } now)
                {
                    Assert.Equal(mask0, now);
                }
            }

            release.Set();
            thread.Join();
        }
    }
}
