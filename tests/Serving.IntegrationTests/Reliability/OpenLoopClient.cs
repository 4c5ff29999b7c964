using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Rpc;
using Grpc.Core;
using Google.Protobuf;
using Serving.Contracts.Ranking.V1;

namespace Serving.IntegrationTests.Reliability;

/// <summary>
/// A small open-loop gRPC client for the reliability tests: sends pre-encoded Rank requests (so
/// the client spends no time serializing) at a fixed rate from a thread of its own, whether or
/// not earlier calls were answered; counts every outcome by status, and notes refusals that lack
/// their rich error details. Bounded by the duration given; each call by a 30 s deadline.
/// </summary>
internal sealed class OpenLoopClient(CallInvoker invoker, IReadOnlyList<byte[]> pool)
{
    private static readonly Method<byte[], byte[]> Rank = new(
        MethodType.Unary, RankingService.Descriptor.FullName, "Rank",
        Marshallers.Create(static b => b, static b => b), Marshallers.Create(static b => b, static b => b));

    public LoadOutcome Run(double ratePerSecond, TimeSpan duration)
    {
        var outcome = new LoadOutcome();
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * ratePerSecond);
            for (; sent < due; sent++)
            {
                outcome.Started();
                _ = SendAsync(pool[(int)(sent % pool.Count)], outcome, clock.Elapsed);
            }

            Thread.Sleep(1);
        }

        outcome.SendingDone();
        outcome.Elapsed = clock.Elapsed;
        return outcome;
    }

    private async Task SendAsync(byte[] request, LoadOutcome outcome, TimeSpan sentAt)
    {
        try
        {
            await invoker.AsyncUnaryCall(Rank, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(30)), request).ResponseAsync.ConfigureAwait(false);
            outcome.Count(StatusCode.OK, sentAt);
        }
        catch (RpcException ex)
        {
            outcome.Count(ex.StatusCode, sentAt);
            if (ex.StatusCode == StatusCode.DeadlineExceeded)
            {
                outcome.Late(ex.Status.Detail);
            }

            if (ex.StatusCode == StatusCode.ResourceExhausted && ex.GetRpcStatus()?.GetDetail<ErrorInfo>() is { } info)
            {
                outcome.Refused(info.Reason, sentAt);
            }

            if (ex.StatusCode == StatusCode.ResourceExhausted
                && (ex.GetRpcStatus()?.GetDetail<ErrorInfo>() is null || ex.GetRpcStatus()?.GetDetail<RetryInfo>() is null))
            {
                outcome.Note($"a refusal without ErrorInfo and RetryInfo: {ex.Status.Detail}");
            }
            else if (ex.StatusCode is not (StatusCode.ResourceExhausted or StatusCode.DeadlineExceeded))
            {
                outcome.Note($"{ex.StatusCode}: {ex.Status.Detail}");
            }
        }
        finally
        {
            outcome.Finished();
        }
    }
}

/// <summary>What one open-loop run saw: calls by status (and by the second they were sent in), and notes on unexpected answers.</summary>
internal sealed class LoadOutcome
{
    private readonly ConcurrentDictionary<StatusCode, long> _byStatus = new();
    private readonly ConcurrentDictionary<(int Second, StatusCode Status), long> _bySecond = new();
    private readonly ConcurrentQueue<string> _notes = new();
    private readonly ConcurrentDictionary<string, long> _lateBy = new();
    private readonly ConcurrentDictionary<(int Second, string Reason), long> _refusedBy = new();
    private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _outstanding = 1; // the sender's own hold until SendingDone

    public TimeSpan Elapsed { get; set; }

    /// <summary>Completes when every call sent has been answered.</summary>
    public Task Answered => _answered.Task;

    public long this[StatusCode status] => _byStatus.GetValueOrDefault(status);

    public long Total => _byStatus.Values.Sum();

    public IReadOnlyCollection<string> Notes => _notes;

    public IReadOnlyDictionary<StatusCode, long> ByStatus => _byStatus;

    /// <summary>Calls sent in second <paramref name="second"/> of the run, by status.</summary>
    public long InSecond(int second, StatusCode status) => _bySecond.GetValueOrDefault((second, status));

    public void Started() => Interlocked.Increment(ref _outstanding);

    public void SendingDone() => Finished();

    public void Finished()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0)
        {
            _answered.TrySetResult();
        }
    }

    public void Count(StatusCode status, TimeSpan sentAt)
    {
        _byStatus.AddOrUpdate(status, 1, static (_, n) => n + 1);
        _bySecond.AddOrUpdate(((int)sentAt.TotalSeconds, status), 1, static (_, n) => n + 1);
    }

    /// <summary>DEADLINE_EXCEEDED answers by their message (where in the server the time ran out).</summary>
    public IReadOnlyDictionary<string, long> LateBy => _lateBy;

    /// <summary>Refusals by reason and the second they were sent in.</summary>
    public IReadOnlyDictionary<(int Second, string Reason), long> RefusedBy => _refusedBy;

    public void Refused(string reason, TimeSpan sentAt) => _refusedBy.AddOrUpdate(((int)sentAt.TotalSeconds, reason), 1, static (_, n) => n + 1);

    public void Late(string detail) => _lateBy.AddOrUpdate(detail, 1, static (_, n) => n + 1);

    public void Note(string note)
    {
        if (_notes.Count < 20)
        {
            _notes.Enqueue(note);
        }
    }

    public override string ToString() =>
        string.Join(", ", _byStatus.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}")) + $" in {Elapsed.TotalSeconds:0.0} s";
}
