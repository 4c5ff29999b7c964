namespace Serving.Execution;

/// <summary>
/// Watches one replica's runs: a run still going after the run timeout is asked to terminate.
/// Each run has a number, so a timer that fires as its run ends never terminates the next one.
/// </summary>
internal sealed class RunWatchdog(IReplica replica, TimeProvider time, TimeSpan runTimeout)
{
    private readonly Lock _lock = new();
    private long _run;
    private bool _running;

    /// <summary>True when the current or last run was terminated by the watchdog or a stop.</summary>
    public bool Terminated { get; private set; }

    /// <summary>Starts watching a run; dispose the result when the run has ended.</summary>
    public ITimer Start()
    {
        long run;
        lock (_lock)
        {
            run = ++_run;
            _running = true;
            Terminated = false;
        }

        // Periodic: a terminate set just before the replica cleared its flag for the run is asked again.
        return time.CreateTimer(static state => ((RunTimeoutState)state!).Fire(), new RunTimeoutState(this, run), runTimeout, runTimeout);
    }

    /// <summary>The run has ended: a timer firing from now on does nothing.</summary>
    public void End()
    {
        lock (_lock)
        {
            _running = false;
        }
    }

    /// <summary>Terminates the run going now, if any (a stop that waited long enough); true when one was.</summary>
    public bool TerminateCurrent() => Terminate(null);

    private bool Terminate(long? run)
    {
        lock (_lock)
        {
            if (!_running || (run is { } r && r != _run))
            {
                return false;
            }

            Terminated = true;
            replica.Terminate();
            return true;
        }
    }

    private sealed record RunTimeoutState(RunWatchdog Watchdog, long Run)
    {
        public void Fire() => Watchdog.Terminate(Run);
    }
}
