using Serving.Batching;
using Serving.Execution;
using Serving.Features;

namespace Serving.Tests.Execution;

/// <summary>
/// How a try of a batch ends when its session returns: a result only when its scores were written
/// or the session never asked (no abandon can be missed), never after an abandon it saw.
/// </summary>
public sealed class PoolAttemptTests
{
    private static readonly BatchExecution Execution = new("gpu", 4, TimeSpan.Zero, TimeSpan.FromMilliseconds(1));
    private readonly Serving.Models.ModelSpec _spec = TestModels.Tiny();

    [Fact]
    public void A_session_that_returns_between_the_abandon_and_its_cancellation_sets_no_result()
    {
        using var rows = FeatureRows.Rent(_spec.Inputs, 4);
        var attempt = new PoolAttempt(new Batch([new RowSlice(rows, 0, 4, new float[4], DateTimeOffset.MaxValue)], DateTimeOffset.UnixEpoch), 0);
        Assert.True(attempt.TryStart());

        // The timeout's thread marks the try abandoned and is preempted before it cancels the completion;
        // meanwhile the session finishes, is refused the scatter, and the device thread ends the try.
        Assert.True(attempt.MarkAbandoned());
        Assert.False(attempt.TryClaimScatter());
        attempt.Complete(Execution);

        Assert.False(attempt.Completion.Task.IsCompleted, "a try that wrote no scores has no result to hand over");
        attempt.Completion.TrySetCanceled(); // the abandoning thread carries on
        Assert.True(attempt.Completion.Task.IsCanceled);
        attempt.Finish();
    }

    [Fact]
    public async Task A_session_that_wrote_its_scores_ends_with_its_result_even_if_the_abandon_comes_after()
    {
        using var rows = FeatureRows.Rent(_spec.Inputs, 4);
        var attempt = new PoolAttempt(new Batch([new RowSlice(rows, 0, 4, new float[4], DateTimeOffset.MaxValue)], DateTimeOffset.UnixEpoch), 0);
        Assert.True(attempt.TryStart());
        Assert.True(attempt.TryClaimScatter());

        attempt.Abandon(new CancellationToken(canceled: true)); // too late: the scores are written
        attempt.Complete(Execution);

        Assert.True(attempt.Scattered);
        Assert.Equal(Execution, await attempt.Completion.Task);
        attempt.Finish();
    }

    [Fact]
    public async Task A_session_that_never_asks_to_scatter_ends_with_its_result()
    {
        using var rows = FeatureRows.Rent(_spec.Inputs, 4);
        var attempt = new PoolAttempt(new Batch([new RowSlice(rows, 0, 4, new float[4], DateTimeOffset.MaxValue)], DateTimeOffset.UnixEpoch), 0);
        Assert.True(attempt.TryStart());

        attempt.Complete(Execution);

        Assert.False(attempt.WasAbandoned);
        Assert.Equal(Execution, await attempt.Completion.Task);
        attempt.Finish();
    }
}
