using System.Runtime.InteropServices;

namespace Serving.IntegrationTests.Reliability;

/// <summary>
/// Pins every thread of this process to a set of cores, and puts each back as it was on dispose.
/// </summary>
/// <remarks>
/// <see cref="System.Diagnostics.Process.ProcessorAffinity"/> is not enough on Linux: it calls
/// <c>sched_setaffinity</c> with the process id, which pins the main thread alone. The thread-pool
/// threads that send the load keep every core, so the client ran beside the server on the server's
/// core and took its CPU: the overload test's capacity probe read 62–536 OK/s in some runs where the
/// server answers ~1,000 on a core of its own. Threads started after pinning inherit the mask from
/// the thread that starts them, so pinning every thread that exists pins the process.
/// </remarks>
internal sealed class ProcessPinning : IDisposable
{
    private readonly Dictionary<int, ulong> _previous = [];

    private ProcessPinning()
    {
    }

    /// <summary>Threads of this process pinned (at least one: the pinning is real).</summary>
    public int PinnedThreads => _previous.Count;

    /// <summary>Pins every thread of this process to the cores in <paramref name="mask"/> (bit i: core i). Linux only.</summary>
    public static ProcessPinning Pin(ulong mask)
    {
        var pinning = new ProcessPinning();
        // Threads may start while the list is read: read it again until a pass finds none new.
        bool found;
        do
        {
            found = false;
            foreach (var threadId in ThreadIds())
            {
                if (pinning._previous.ContainsKey(threadId))
                {
                    continue;
                }

                ulong previous = 0;
                if (SchedGetAffinity(threadId, sizeof(ulong), ref previous) != 0)
                {
                    continue; // the thread ended meanwhile
                }

                var wanted = mask;
                if (SchedSetAffinity(threadId, sizeof(ulong), ref wanted) == 0)
                {
                    pinning._previous[threadId] = previous;
                    found = true;
                }
            }
        }
        while (found);

        return pinning;
    }

    /// <summary>The ids of this process's threads as the kernel lists them now (Linux).</summary>
    public static IEnumerable<int> ThreadIds() =>
        Directory.EnumerateDirectories("/proc/self/task").Select(task => int.Parse(Path.GetFileName(task), System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The cores a thread of this process may run on (bit i: core i), or null when it has ended.</summary>
    public static ulong? AffinityOf(int threadId)
    {
        ulong mask = 0;
        return SchedGetAffinity(threadId, sizeof(ulong), ref mask) == 0 ? mask : null;
    }

    public void Dispose()
    {
        foreach (var (threadId, previous) in _previous)
        {
            var mask = previous;
            _ = SchedSetAffinity(threadId, sizeof(ulong), ref mask);
        }

        // Threads started while pinned inherited the mask: give them every core again.
        ulong all = 0;
        foreach (var mask in _previous.Values)
        {
            all |= mask;
        }

        foreach (var threadId in ThreadIds())
        {
            if (!_previous.ContainsKey(threadId))
            {
                var mask = all;
                _ = SchedSetAffinity(threadId, sizeof(ulong), ref mask);
            }
        }
    }

    [DllImport("libc", EntryPoint = "sched_setaffinity")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SchedSetAffinity(int threadId, nint size, ref ulong mask);

    [DllImport("libc", EntryPoint = "sched_getaffinity")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SchedGetAffinity(int threadId, nint size, ref ulong mask);
}
