namespace Serving.Api;

/// <summary>A request's deadline: the earliest of the client's deadline, its budget and the model's SLO.</summary>
public static class RequestDeadline
{
    public static DateTimeOffset Compute(DateTimeOffset now, DateTime clientDeadlineUtc, uint budgetMs, TimeSpan slo)
    {
        // Saturating: a deadline past the end of time is no deadline, not an overflow.
        var deadline = slo >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + slo;
        if (budgetMs > 0)
        {
            var budget = now + TimeSpan.FromMilliseconds(budgetMs);
            deadline = budget < deadline ? budget : deadline;
        }

        if (clientDeadlineUtc != DateTime.MaxValue)
        {
            var client = new DateTimeOffset(DateTime.SpecifyKind(clientDeadlineUtc, DateTimeKind.Utc));
            deadline = client < deadline ? client : deadline;
        }

        return deadline;
    }
}
