using Serving.Batching;
using Serving.Execution;
using Serving.Features;

namespace Serving.Tests.Execution;

/// <summary>
/// A replica the test scripts: each run writes 0.5 to every score (or <see cref="ScoreOf"/> of each
/// row), unless it is told to hang.
/// </summary>
internal sealed class ScriptedReplica : IReplica
{
    private readonly ManualResetEventSlim _released = new(initialState: true);
    private readonly ManualResetEventSlim _started = new();
    private volatile bool _terminated;

    /// <summary>Honour <see cref="Terminate"/> while hanging (ONNX Runtime's flag works); false: a run that ignores it.</summary>
    public bool StopsWhenTerminated { get; init; } = true;

    /// <summary>The score of a row (its rows, its row index) instead of 0.5: lets a test tell whose scores went where.</summary>
    public Func<FeatureRows, int, float>? ScoreOf { get; init; }

    public int MaxBatchRows => 256;

    public int Runs { get; private set; }

    public int TerminateCalls { get; private set; }

    /// <summary>The next runs block until <see cref="Release"/> (or a terminate they honour).</summary>
    public void Hang() => _released.Reset();

    public void Release() => _released.Set();

    /// <summary>Waits until a run has begun (the pool's worker called <see cref="Execute"/>).</summary>
    public bool WaitStarted() => _started.Wait(TimeSpan.FromSeconds(30));

    public void Execute(IReadOnlyList<RowSlice> slices, Func<bool>? mayScatter = null)
    {
        Runs++;
        _terminated = false;
        _started.Set();
        _released.Wait();
        if (_terminated && StopsWhenTerminated)
        {
            throw new OperationCanceledException("terminated (as ONNX Runtime does when its terminate flag is set)");
        }

        if (mayScatter?.Invoke() != false)
        {
            foreach (var slice in slices)
            {
                if (ScoreOf is { } score)
                {
                    for (var r = 0; r < slice.RowCount; r++)
                    {
                        slice.Scores.Span[r] = score(slice.Source, slice.FirstRow + r);
                    }
                }
                else
                {
                    slice.Scores.Span.Fill(0.5f);
                }
            }
        }
    }

    public void Terminate()
    {
        TerminateCalls++;
        _terminated = true;
        if (StopsWhenTerminated)
        {
            _released.Set();
        }
    }

    public void Dispose()
    {
        _released.Dispose();
        _started.Dispose();
    }
}
