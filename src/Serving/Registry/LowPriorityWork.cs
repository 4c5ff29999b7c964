using System.Runtime.InteropServices;

namespace Serving.Registry;

/// <summary>
/// Runs work on a thread of its own at the lowest scheduling priority (Linux nice 19), so loading
/// and warming a new version only takes CPU the serving threads leave idle: .NET's
/// <see cref="Thread.Priority"/> does nothing on Linux, but a thread's nice value does.
/// </summary>
internal static class LowPriorityWork
{
    private const int PrioProcess = 0;
    private const int Nicest = 19;

    /// <summary>
    /// Runs <paramref name="work"/> on a new low-priority thread. The awaiting code continues on that
    /// thread too (continuations run inline), so what follows a load (publishing, retiring) is also
    /// done at low priority until its next wait.
    /// </summary>
    public static Task<T> Run<T>(Func<T> work, string name)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.None);
        var thread = new Thread(() =>
        {
            Lower();
            try
            {
                done.TrySetResult(work());
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        { IsBackground = true, Name = name };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// <c>await LowPriorityWork.Switch(name)</c>: the rest of the method, up to its next wait, runs on a
    /// new low-priority thread (the repository scan, disposing a retired version): code that runs for
    /// the first time at a swap is compiled there, not on a thread the requests need.
    /// </summary>
    public static SwitchAwaitable Switch(string name) => new(name);

    /// <summary>The awaitable of <see cref="Switch"/>: never complete, so the continuation always moves.</summary>
    public readonly struct SwitchAwaitable(string name) : System.Runtime.CompilerServices.ICriticalNotifyCompletion
    {
        public SwitchAwaitable GetAwaiter() => this;

        public bool IsCompleted => false;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => Start(continuation, name);

        public void UnsafeOnCompleted(Action continuation) => Start(continuation, name);

        private static void Start(Action continuation, string name)
        {
            var thread = new Thread(() =>
            {
                Lower();
                continuation();
            })
            { IsBackground = true, Name = name };
            thread.Start();
        }
    }

    /// <summary>
    /// Hands memory the native heap holds but no longer uses back to the operating system (glibc's
    /// malloc_trim): after a retired version's sessions are freed, so resident memory returns to what
    /// the live versions need instead of staying at its peak. Best effort; a no-op off glibc.
    /// </summary>
    public static void ReleaseFreedNativeMemory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _ = NativeMethods.malloc_trim(0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc (musl has no malloc_trim)
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
            _ = SetPriority(PrioProcess, GetTid(), Nicest); // who = thread id: Linux schedules threads
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc: run at normal priority
        }
    }

    private static int SetPriority(int which, int who, int priority) => NativeMethods.setpriority(which, who, priority);

    private static int GetTid() => NativeMethods.gettid();

    /// <summary>glibc's setpriority and gettid (blittable: no marshalling, so no unsafe code).</summary>
    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int setpriority(int which, int who, int prio);

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int gettid();

        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int malloc_trim(nuint pad);
    }
}
