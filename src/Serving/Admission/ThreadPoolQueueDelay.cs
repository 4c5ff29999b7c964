using System.Diagnostics;

namespace Serving.Admission;

/// <summary>
/// How long work waits in the thread pool's queue right now: a thread of its own queues a canary
/// work item every <see cref="SampleInterval"/> and times how long it takes to start. A new Rank
/// call waits in that same queue before the ingress limit even sees it, so this is the wait the
/// limit's own latency measure (from the middleware on) cannot see.
/// </summary>
internal sealed class ThreadPoolQueueDelay : IDisposable
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(5);

    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private long _sumTicks;
    private long _samples;
    private long _pendingSince;
    private int _started;

    public ThreadPoolQueueDelay()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "pool-queue-delay" };
    }

    /// <summary>Starts the canaries (once; later calls do nothing). Nothing runs until a reader needs it.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _thread.Start();
        }
    }

    /// <summary>
    /// The mean wait of the canaries since the last call (a canary still waiting counts with its
    /// wait so far), then starts a new window. Zero when none ran.
    /// </summary>
    public TimeSpan TakeMean()
    {
        var sum = Interlocked.Exchange(ref _sumTicks, 0);
        var samples = Interlocked.Exchange(ref _samples, 0);
        var pendingSince = Volatile.Read(ref _pendingSince);
        if (pendingSince != 0)
        {
            sum += Stopwatch.GetTimestamp() - pendingSince;
            samples++;
        }

        return samples == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds((double)sum / samples / Stopwatch.Frequency);
    }

    public void Dispose()
    {
        _stop.Cancel();
        if (Volatile.Read(ref _started) == 1)
        {
            _thread.Join();
        }

        _stop.Dispose();
    }

    private void Run()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            if (Volatile.Read(ref _pendingSince) == 0)
            {
                Volatile.Write(ref _pendingSince, Stopwatch.GetTimestamp());
                ThreadPool.UnsafeQueueUserWorkItem(static self => self.Ran(), this, preferLocal: false);
            }

            token.WaitHandle.WaitOne(SampleInterval);
        }
    }

    private void Ran()
    {
        var since = Interlocked.Exchange(ref _pendingSince, 0);
        if (since != 0)
        {
            Interlocked.Add(ref _sumTicks, Stopwatch.GetTimestamp() - since);
            Interlocked.Increment(ref _samples);
        }
    }
}
