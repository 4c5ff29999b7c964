using System.Collections.Concurrent;
using Serving.LoadTest.Dispatch;

namespace Serving.LoadTest.Tests;

/// <summary>
/// A sender whose calls stay pending until the test completes them; honours cancellation. Completing a
/// call runs the dispatcher's bookkeeping synchronously, so the test knows it is done when Complete returns.
/// </summary>
internal sealed class ControlledSender(int rowsPerRequest = 10) : IRequestSender, IDisposable
{
    // Guards against a hang if the code under test never sends; never reached by a passing test.
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<long, TaskCompletionSource<string>> _calls = new();
    private readonly SemaphoreSlim _sent = new(0);
    private int _awaited;

    public int CallCount => _calls.Count;

    public int RowsOf(long sequence) => rowsPerRequest;

    public Task<string> SendAsync(long sequence, CancellationToken cancellationToken)
    {
        var call = new TaskCompletionSource<string>();
        cancellationToken.Register(() => call.TrySetCanceled(cancellationToken));
        _calls[sequence] = call;
        _sent.Release();
        return call.Task;
    }

    /// <summary>Completes when at least <paramref name="count"/> calls have been made in total.</summary>
    public async Task WaitForCallsAsync(int count)
    {
        while (_awaited < count)
        {
            Assert.True(await _sent.WaitAsync(HangGuard), $"expected {count} calls, saw {_calls.Count}");
            _awaited++;
        }
    }

    public void Complete(long sequence, string status = "OK") => _calls[sequence].SetResult(status);

    public void Dispose() => _sent.Dispose();
}

/// <summary>A sender that answers every call at once with OK.</summary>
internal sealed class ImmediateSender(int rowsPerRequest) : IRequestSender, IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _sent = new(0);
    private int _awaited;

    public int RowsOf(long sequence) => rowsPerRequest;

    public Task<string> SendAsync(long sequence, CancellationToken cancellationToken)
    {
        _sent.Release();
        return Task.FromResult("OK");
    }

    public async Task WaitForCallsAsync(int count)
    {
        while (_awaited < count)
        {
            Assert.True(await _sent.WaitAsync(HangGuard), $"expected {count} calls");
            _awaited++;
        }
    }

    public void Dispose() => _sent.Dispose();
}
