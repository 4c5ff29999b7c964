using System.Globalization;

namespace Serving.Benchmarks;

/// <summary>A process's CPU time from /proc (Linux): what the server spent over a probe run.</summary>
internal static class ProcessCpu
{
    /// <summary>Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>User + system CPU seconds of a process; null when it cannot be read (gone, or not Linux).</summary>
    public static double? Seconds(int pid)
    {
        try
        {
            return FromStat(File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Both readings of a process at one moment (<see cref="CpuReading"/>); null when it cannot be read.</summary>
    public static CpuReading? Read(int pid) =>
        Seconds(pid) is { } stat ? new CpuReading(stat, ThreadNanoseconds(pid)) : null;

    /// <summary>User + system CPU seconds from the text of /proc/PID/stat.</summary>
    public static double FromStat(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);

        // The command name may hold spaces: fields are counted after its closing ") ". There,
        // field 3 (state) is index 0, so utime and stime (fields 14 and 15) are indexes 11 and 12.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / TicksPerSecond;
    }

    /// <summary>The nanoseconds on CPU of the text of /proc/PID/task/TID/schedstat (its first field).</summary>
    public static long FromSchedstat(string schedstat)
    {
        ArgumentNullException.ThrowIfNull(schedstat);
        return long.Parse(schedstat.AsSpan(0, schedstat.IndexOf(' ')), CultureInfo.InvariantCulture);
    }

    /// <summary>Each live thread's time on CPU in ns; null when the kernel does not keep it (no schedstat).</summary>
    private static Dictionary<int, long>? ThreadNanoseconds(int pid)
    {
        try
        {
            var threads = new Dictionary<int, long>();
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    threads[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = FromSchedstat(File.ReadAllText(Path.Combine(task, "schedstat")));
                }
                catch (IOException)
                {
                    // exited between the listing and the read: its time is gone with it
                }
            }

            return threads.Count > 0 ? threads : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// A process's CPU time at one moment, two ways: /proc/PID/stat's user + system time (counted in 10 ms
/// ticks, threads that exited included) and every live thread's time on CPU from its schedstat (ns).
/// </summary>
internal sealed record CpuReading(double StatSeconds, IReadOnlyDictionary<int, long>? ThreadNanoseconds)
{
    /// <summary>Where a CPU time between two readings came from.</summary>
    public const string Schedstat = "schedstat";
    public const string Stat = "stat";

    /// <summary>
    /// The CPU seconds between two readings: from the threads' schedstat (ns) when both readings have it
    /// and every thread of the first is still there in the second (a thread that exited took its time
    /// with it), else from stat's ticks, whose 10 ms steps are coarse at low load.
    /// </summary>
    public static (double Seconds, string Source) Between(CpuReading before, CpuReading after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.ThreadNanoseconds is { } first && after.ThreadNanoseconds is { } second && first.Keys.All(second.ContainsKey))
        {
            long ns = 0;
            foreach (var (thread, total) in second)
            {
                ns += total - first.GetValueOrDefault(thread);
            }

            return (ns / 1e9, Schedstat);
        }

        return (after.StatSeconds - before.StatSeconds, Stat);
    }
}
