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
}
