using Microsoft.Extensions.Time.Testing;
using Serving.Admission;

namespace Serving.Tests.Admission;

public class AdaptiveConcurrencyLimitTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan Target = TimeSpan.FromMilliseconds(2);

    private static readonly TimeSpan QueueDelayTarget = TimeSpan.FromMilliseconds(1);

    private static (FakeTimeProvider Time, AdaptiveConcurrencyLimit Limit) Create(int min = 4, int max = 20, Func<TimeSpan>? queueDelay = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        return (time, new AdaptiveConcurrencyLimit(time, min, max, () => Target, Window, queueDelay ?? (() => TimeSpan.Zero), QueueDelayTarget));
    }

    /// <summary>Admits <paramref name="calls"/> at once, lets <paramref name="latency"/> pass, releases them all.</summary>
    private static void Round(FakeTimeProvider time, AdaptiveConcurrencyLimit limit, int calls, TimeSpan latency)
    {
        var started = Enumerable.Range(0, calls).Select(_ => limit.TryAcquire()).Where(s => s is not null).ToList();
        time.Advance(latency);
        foreach (var s in started)
        {
            limit.Release(s!.Value);
        }
    }

    /// <summary>Runs rounds until the window has passed, so the next release closes it; <paramref name="windows"/> times over.</summary>
    private static void FillWindow(FakeTimeProvider time, AdaptiveConcurrencyLimit limit, int calls, TimeSpan latency, int windows = 1)
    {
        for (var window = 0; window < windows; window++)
        {
            for (var elapsed = TimeSpan.Zero; elapsed <= Window; elapsed += latency)
            {
                Round(time, limit, calls, latency);
            }
        }
    }

    [Fact]
    public void Starts_at_the_maximum_and_refuses_beyond_it()
    {
        var (_, limit) = Create(min: 1, max: 3);

        var admitted = Enumerable.Range(0, 5).Select(_ => limit.TryAcquire()).ToList();

        Assert.Equal(3, admitted.Count(a => a is not null));
        Assert.Equal(3, limit.InFlight);
        Assert.Equal(3, limit.Limit);
    }

    [Fact]
    public void Shrinks_by_a_fifth_per_window_from_the_second_window_in_a_row_with_admitted_calls_slower_than_the_target()
    {
        var (time, limit) = Create(max: 20);

        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(5));
        Assert.Equal(20, limit.Limit);
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(5));
        Assert.Equal(16, limit.Limit);
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(5));
        Assert.Equal(12, limit.Limit);
    }

    [Fact]
    public void Reports_each_change_of_the_limit_once_and_nothing_else()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var reported = new List<double>();
        var limit = new AdaptiveConcurrencyLimit(time, 4, 20, () => Target, Window, limitChanged: reported.Add);

        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1), windows: 3); // at the maximum: no change
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(5), windows: 3); // 20 → 16 → 12

        Assert.Equal([16, 12], reported);
        Assert.Equal(12, limit.Limit);
    }

    [Fact]
    public void A_lone_slow_window_is_a_burst_and_leaves_the_limit_alone()
    {
        var (time, limit) = Create(max: 20);

        for (var i = 0; i < 4; i++)
        {
            FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(5));
            FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1));
        }

        Assert.Equal(20, limit.Limit);
    }

    [Fact]
    public void Shrinks_when_work_waits_in_the_queue_even_though_admitted_calls_are_fast()
    {
        var queueDelay = TimeSpan.FromMilliseconds(3);
        var (time, limit) = Create(max: 20, queueDelay: () => queueDelay);

        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1));
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1));
        Assert.Equal(16, limit.Limit);

        queueDelay = TimeSpan.FromMilliseconds(0.2);
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1));
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1));
        Assert.True(limit.Limit > 16, "grows back once the queue drains");
    }

    [Fact]
    public void Never_shrinks_below_the_minimum()
    {
        var (time, limit) = Create(min: 4, max: 20);

        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(10), windows: 30);

        Assert.Equal(4, limit.Limit);
    }

    [Fact]
    public void Grows_back_when_the_limit_is_reached_and_calls_are_within_the_target()
    {
        var (time, limit) = Create(min: 4, max: 20);
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(10), windows: 30);

        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1)); // closes the window that still held slow calls
        var low = limit.Limit;
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1));
        Assert.Equal(low + 1, limit.Limit);
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(1), windows: 30);

        Assert.Equal(20, limit.Limit);
    }

    [Fact]
    public void Holds_when_fast_calls_never_reach_the_limit()
    {
        var (time, limit) = Create(min: 4, max: 20);
        FillWindow(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(10), windows: 3);

        FillWindow(time, limit, calls: 2, latency: TimeSpan.FromMilliseconds(1)); // closes the window that still held slow calls
        var shrunk = limit.Limit;
        Assert.True(shrunk < 20);
        FillWindow(time, limit, calls: 2, latency: TimeSpan.FromMilliseconds(1), windows: 5);

        Assert.Equal(shrunk, limit.Limit);
    }

    [Fact]
    public void Slow_calls_at_low_concurrency_do_not_shrink_it()
    {
        var (time, limit) = Create(max: 20);

        FillWindow(time, limit, calls: 9, latency: TimeSpan.FromMilliseconds(10), windows: 5);

        Assert.Equal(20, limit.Limit);
        FillWindow(time, limit, calls: 10, latency: TimeSpan.FromMilliseconds(10));
        FillWindow(time, limit, calls: 10, latency: TimeSpan.FromMilliseconds(10));
        Assert.Equal(16, limit.Limit);
    }

    [Fact]
    public void Changes_at_most_once_per_window()
    {
        var (time, limit) = Create(max: 20);

        // Slow calls: the first window (closed at 60 ms) only marks congestion; the second (closed at
        // 120 ms) shrinks the limit once, however many slow calls were released inside it.
        for (var i = 0; i < 5; i++)
        {
            Round(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(20));
        }

        Assert.Equal(20, limit.Limit);
        Round(time, limit, calls: 20, latency: TimeSpan.FromMilliseconds(20));

        Assert.Equal(16, limit.Limit);
    }
}
