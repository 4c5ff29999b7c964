using System.Globalization;
using Serving.LoadTest.Recording;

namespace Serving.LoadTest.Reporting;

/// <summary>
/// Once a second, one line on stderr about the second that just ended: offered, ok and error counts,
/// p99, requests in flight, total drops. On a terminal the line is rewritten in place.
/// </summary>
internal sealed class ProgressDisplay : IDisposable
{
    private readonly TextWriter _writer;
    private readonly RunRecorder _recorder;
    private readonly Func<int> _inFlight;
    private readonly bool _overwrite;
    private readonly string _label;
    private readonly ITimer _timer;
    private int _ticks;
    private long _dropped;
    private bool _wroteLine;

    public ProgressDisplay(TimeProvider time, TextWriter writer, RunRecorder recorder, Func<int> inFlight, bool overwrite, string label)
    {
        _writer = writer;
        _recorder = recorder;
        _inFlight = inFlight;
        _overwrite = overwrite;
        _label = label;
        _timer = time.CreateTimer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_writer)
        {
            if (_overwrite && _wroteLine)
            {
                _writer.WriteLine();
            }
        }
    }

    private void Tick()
    {
        // Count ticks rather than reading the clock: a timer firing a hair early or late must not
        // report the same second twice or skip one.
        var second = Interlocked.Increment(ref _ticks) - 1;
        var snapshot = _recorder.Peek(second);
        _dropped += snapshot.Dropped;
        var errors = snapshot.Completed - snapshot.Succeeded;
        var p99 = snapshot.P99Ms is { } p ? p.ToString("0.00", CultureInfo.InvariantCulture) + " ms" : "-";
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{_label}[{second + 1,4}s] offered {snapshot.Offered,6}/s  ok {snapshot.Succeeded,6}/s  errors {errors,5}  p99 {p99,10}  in-flight {_inFlight(),5}  dropped {_dropped}");
        lock (_writer)
        {
            if (_overwrite)
            {
                _writer.Write("\r" + line.PadRight(110));
            }
            else
            {
                _writer.WriteLine(line);
            }

            _writer.Flush();
            _wroteLine = true;
        }
    }
}
