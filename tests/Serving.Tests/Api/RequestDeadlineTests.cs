using Serving.Api;

namespace Serving.Tests.Api;

public class RequestDeadlineTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Slo = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void Without_client_deadline_or_budget_the_slo_applies()
    {
        Assert.Equal(Now + Slo, RequestDeadline.Compute(Now, DateTime.MaxValue, 0, Slo));
    }

    [Fact]
    public void A_smaller_budget_wins_over_the_slo()
    {
        Assert.Equal(Now.AddMilliseconds(4), RequestDeadline.Compute(Now, DateTime.MaxValue, 4, Slo));
    }

    [Fact]
    public void A_larger_budget_is_capped_by_the_slo()
    {
        Assert.Equal(Now + Slo, RequestDeadline.Compute(Now, DateTime.MaxValue, 50, Slo));
    }

    [Fact]
    public void The_client_deadline_wins_when_earliest()
    {
        var client = Now.UtcDateTime.AddMilliseconds(2);
        Assert.Equal(Now.AddMilliseconds(2), RequestDeadline.Compute(Now, client, 4, Slo));
    }

    [Fact]
    public void A_slo_past_the_end_of_time_saturates_instead_of_throwing()
    {
        Assert.Equal(DateTimeOffset.MaxValue, RequestDeadline.Compute(Now, DateTime.MaxValue, 0, TimeSpan.MaxValue));
    }
}
