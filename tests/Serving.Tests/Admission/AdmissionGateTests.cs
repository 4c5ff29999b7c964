using Microsoft.Extensions.Time.Testing;
using Serving.Admission;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;

namespace Serving.Tests.Admission;

public class AdmissionGateTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private AdmissionGate Gate(int max = 4, int min = 4, double bestEffortShare = 0.5) =>
        new(new AdmissionOptions { MaxInFlightRequests = max, MinInFlightRequests = min, BestEffortInFlightShare = bestEffortShare }, () => TimeSpan.FromMilliseconds(5), _time);

    [Fact]
    public void Calls_beyond_the_limit_are_refused_and_a_slot_frees_when_a_call_leaves()
    {
        var gate = Gate(max: 2, min: 2);
        var first = gate.TryEnter(Priority.Normal);
        var second = gate.TryEnter(Priority.Normal);
        var third = gate.TryEnter(Priority.Normal);

        Assert.True(first.IsAdmitted && second.IsAdmitted);
        Assert.False(third.IsAdmitted);
        Assert.Equal(RejectionReasons.IngressLimit, third.RefusalReason);
        Assert.Contains("2 calls already in flight", third.Message, StringComparison.Ordinal);
        Assert.Equal(2, gate.InFlight);

        gate.Leave(first);
        Assert.True(gate.TryEnter(Priority.Normal).IsAdmitted);
        Assert.Equal(2, gate.InFlight);
    }

    [Fact]
    public void Best_effort_calls_are_refused_beyond_their_share_while_normal_calls_still_get_in()
    {
        var gate = Gate(max: 4, min: 4, bestEffortShare: 0.5);
        Assert.True(gate.TryEnter(Priority.BestEffort).IsAdmitted);
        Assert.True(gate.TryEnter(Priority.BestEffort).IsAdmitted);

        var shed = gate.TryEnter(Priority.BestEffort);
        var normal = gate.TryEnter(Priority.Normal);

        Assert.Equal(RejectionReasons.BestEffortShed, shed.RefusalReason);
        Assert.True(normal.IsAdmitted);
        Assert.Equal(3, gate.InFlight);
    }

    [Fact]
    public void Draining_refuses_new_calls_and_completes_when_the_last_admitted_call_leaves()
    {
        var gate = Gate();
        var running = gate.TryEnter(Priority.Normal);

        var drained = gate.BeginDrain();
        var refused = gate.TryEnter(Priority.Normal);

        Assert.True(gate.Draining);
        Assert.Equal(RejectionReasons.Draining, refused.RefusalReason);
        Assert.False(drained.IsCompleted);
        Assert.Equal(1, gate.InFlight);

        gate.Leave(running);
        Assert.True(drained.IsCompletedSuccessfully);
        Assert.Equal(0, gate.InFlight);
    }

    [Fact]
    public void An_idle_gate_drains_at_once()
    {
        Assert.True(Gate().BeginDrain().IsCompletedSuccessfully);
    }

    [Fact]
    public void Without_a_limit_every_call_is_admitted_and_the_drain_still_counts_them()
    {
        var gate = Gate(max: 0, min: 1);
        var calls = Enumerable.Range(0, 1000).Select(_ => gate.TryEnter(Priority.BestEffort)).ToList();

        Assert.All(calls, c => Assert.True(c.IsAdmitted));
        var drained = gate.BeginDrain();
        Assert.False(drained.IsCompleted);
        calls.ForEach(gate.Leave);
        Assert.True(drained.IsCompletedSuccessfully);
    }

    [Fact]
    public void A_refused_call_holds_no_slot()
    {
        var gate = Gate(max: 1, min: 1);
        var admitted = gate.TryEnter(Priority.Normal);
        for (var i = 0; i < 10; i++)
        {
            gate.Leave(gate.TryEnter(Priority.Normal)); // refused: leaving it is a no-op
        }

        Assert.Equal(1, gate.InFlight);
        gate.Leave(admitted);
        Assert.Equal(0, gate.InFlight);
    }
}
