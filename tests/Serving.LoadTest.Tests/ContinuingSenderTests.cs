using Serving.LoadTest.Dispatch;

namespace Serving.LoadTest.Tests;

/// <summary>The runs of a search carry on through the request pool instead of each opening with its first requests.</summary>
public sealed class ContinuingSenderTests
{
    [Fact]
    public async Task EachRunStartsAfterTheLastRequestThePreviousRunSent()
    {
        var inner = new RecordingSender();
        var sender = new ContinuingSender(inner);

        // The warm-up: priming 0..3 one at a time, then its paced traffic from 0 again (0..5, out of order).
        foreach (var sequence in new long[] { 0, 1, 2, 3, 0, 2, 1, 5, 4, 3 })
        {
            await sender.SendAsync(sequence, CancellationToken.None);
        }

        sender.NextRun();
        await sender.SendAsync(0, CancellationToken.None);
        await sender.SendAsync(1, CancellationToken.None);
        Assert.Equal(6, sender.Offset);
        Assert.Equal(inner.RowsOf(6), sender.RowsOf(0));

        sender.NextRun();
        await sender.SendAsync(0, CancellationToken.None);

        Assert.Equal([0, 1, 2, 3, 0, 2, 1, 5, 4, 3, 6, 7, 8], inner.Sent);
    }

    [Fact]
    public async Task ARunThatSentNothingLeavesTheNextWhereItWas()
    {
        var inner = new RecordingSender();
        var sender = new ContinuingSender(inner);
        await sender.SendAsync(2, CancellationToken.None);

        sender.NextRun();
        sender.NextRun();
        await sender.SendAsync(0, CancellationToken.None);

        Assert.Equal([2, 3], inner.Sent);
    }

    [Fact]
    public async Task ConcurrentSendsMoveTheEndToTheHighestSequence()
    {
        var inner = new RecordingSender();
        var sender = new ContinuingSender(inner);
        await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => Task.Run(() => sender.SendAsync(i, CancellationToken.None))));

        sender.NextRun();

        Assert.Equal(1000, sender.Offset);
    }

    private sealed class RecordingSender : IRequestSender
    {
        private readonly Lock _gate = new();

        public List<long> Sent { get; } = [];

        public int RowsOf(long sequence) => (int)(sequence % 7) + 1;

        public Task<string> SendAsync(long sequence, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                Sent.Add(sequence);
            }

            return Task.FromResult("OK");
        }
    }
}
