using Serving.Batching;
using Serving.Execution;

namespace Serving.Tests.Execution;

/// <summary>
/// A replica for soak tests: each run takes a random few microseconds, fails at a given rate (as
/// a session error would), honours the terminate flag, and scores a row with the value in its first
/// dense column, so a score that went to the wrong request or row shows. Runs on its pool's one
/// worker thread, so its random source needs no lock. <see cref="Hang"/> holds the next runs.
/// </summary>
internal sealed class ChaosReplica(int seed, double failureRate) : IReplica
{
    private readonly Random _random = new(seed);
    private readonly ManualResetEventSlim _released = new(initialState: true);
    private volatile bool _terminated;
    private int _runs;
    private int _failures;
    private int _running;

    public int MaxBatchRows => 256;

    public int Runs => Volatile.Read(ref _runs);

    public int Failures => Volatile.Read(ref _failures);

    /// <summary>1 while a run is inside <see cref="Execute"/>.</summary>
    public int Running => Volatile.Read(ref _running);

    public void Hang() => _released.Reset();

    public void Release() => _released.Set();

    public void Execute(IReadOnlyList<RowSlice> slices, Func<bool>? mayScatter = null)
    {
        Interlocked.Increment(ref _runs);
        Interlocked.Exchange(ref _running, 1);
        try
        {
            _terminated = false;
            var fail = _random.NextDouble() < failureRate;
            Thread.SpinWait(_random.Next(0, 400));
            _released.Wait();
            if (_terminated)
            {
                throw new OperationCanceledException("terminated (as ONNX Runtime does when its terminate flag is set)");
            }

            if (fail)
            {
                Interlocked.Increment(ref _failures);
                throw new InvalidOperationException("injected session failure");
            }

            if (mayScatter?.Invoke() != false)
            {
                foreach (var slice in slices)
                {
                    var scores = slice.Scores.Span;
                    var values = slice.Source.Float32(0);
                    for (var r = 0; r < slice.RowCount; r++)
                    {
                        scores[r] = values[(slice.FirstRow + r) * 2];
                    }
                }
            }
        }
        finally
        {
            Interlocked.Exchange(ref _running, 0);
        }
    }

    public void Terminate()
    {
        _terminated = true;
        _released.Set();
    }

    public void Dispose() => _released.Dispose();
}
