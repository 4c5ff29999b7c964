using System.Runtime.InteropServices;

namespace Serving.Registry;

/// <summary>
/// Moves lifecycle work (a repository scan, loading, retiring a version) off the threads requests
/// need, onto a thread of its own at normal priority: code that runs for the first time at a swap
/// is compiled there (tiered compilation is off), and a load's seconds of session creation never
/// hold a thread-pool thread. Normal priority on purpose: threads inherit their creator's nice value
/// (see <see cref="Execution.LowPriorityThread"/>, which only the warm-up's computation uses).
/// </summary>
internal static class OwnThread
{
    /// <summary>
    /// <c>await OwnThread.Switch(name)</c>: the rest of the method, up to its next wait, runs on a new
    /// thread.
    /// </summary>
    public static SwitchAwaitable Switch(string name) => new(name);

    /// <summary>Runs <paramref name="work"/> on a new thread; the awaiting code continues on it (continuations run inline).</summary>
    public static Task<T> Run<T>(Func<T> work, string name)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.None);
        var thread = new Thread(() =>
        {
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

        private static void Start(Action continuation, string name) =>
            new Thread(() => continuation()) { IsBackground = true, Name = name }.Start();
    }

    private static class NativeMethods
    {
        [DllImport("libc")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int malloc_trim(nuint pad);
    }
}
