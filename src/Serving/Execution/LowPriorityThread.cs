using System.Runtime.InteropServices;

namespace Serving.Execution;

/// <summary>
/// Runs pure computation on a short-lived thread at the lowest scheduling priority (Linux nice 19),
/// so warming a new version's sessions only takes CPU the serving threads leave idle (.NET's
/// <see cref="Thread.Priority"/> does nothing on Linux; a thread's nice value does).
/// <para>
/// Only computation: Linux threads inherit the nice value of the thread that creates them, and an
/// unprivileged process can never lower it again. A session, a device pool's workers, a timer or a
/// thread-pool worker created from here would serve at nice 19 for good (it happened: a version
/// loaded on such a thread ran its batches at nice 19, starved by the request threads, and under
/// overload its cost model read 3-7 times the true cost). So the work here runs sessions that
/// already exist, reads the clock and writes plain memory, nothing more.
/// </para>
/// </summary>
public static class LowPriorityThread
{
    /// <summary>Starts the name of every thread this runs work on (Linux shows a thread's first 15 characters).</summary>
    public const string ThreadNamePrefix = "low-";

    private const int PrioProcess = 0;
    private const int Nicest = 19;

    /// <summary>Runs <paramref name="compute"/> on a new low-priority thread and returns its result; its exception is rethrown here.</summary>
    public static T Run<T>(Func<T> compute, string name)
    {
        ArgumentNullException.ThrowIfNull(compute);
        T result = default!;
        Run(() => { result = compute(); }, name); // a statement lambda: the Action overload
        return result;
    }

    /// <summary>Runs <paramref name="compute"/> on a new low-priority thread and waits for it; its exception is rethrown here.</summary>
    public static void Run(Action compute, string name)
    {
        ArgumentNullException.ThrowIfNull(compute);
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            Lower();
            try
            {
                compute();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        { IsBackground = true, Name = ThreadNamePrefix + name };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }

    /// <summary>The calling thread's nice value (Linux; 0 elsewhere).</summary>
    public static int CurrentNice()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            Marshal.SetLastPInvokeError(0);
            return NativeMethods.getpriority(PrioProcess, NativeMethods.gettid());
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>Lowers the calling thread's priority where the platform allows (best effort).</summary>
    private static void Lower()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = NativeMethods.setpriority(PrioProcess, NativeMethods.gettid(), Nicest); // who = thread id: Linux schedules threads
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc: run at normal priority
        }
    }

    /// <summary>glibc's setpriority, getpriority and gettid (blittable: no marshalling, so no unsafe code).</summary>
    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int setpriority(int which, int who, int prio);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int getpriority(int which, int who);

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int gettid();
    }
}
