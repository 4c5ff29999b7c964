using HdrHistogram;
using Serving.LoadTest.Recording;

namespace Serving.LoadTest.Tests;

public sealed class HistogramMergingTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void MergedPerSecondHistogramsEqualOneHistogramOfEverything()
    {
        var random = new Random(11);
        var perSecond = Enumerable.Range(0, 5).Select(_ => LatencyHistograms.CreatePerSecond()).ToArray();
        var direct = LatencyHistograms.CreateTotal();
        for (var i = 0; i < 50_000; i++)
        {
            // Latencies from 0.1 ms to ~1 s, heavier in some seconds than others.
            var micros = (long)Math.Exp(4.6 + (random.NextDouble() * 9.2));
            var second = i % 5 == 0 ? 4 : random.Next(4);
            perSecond[second].RecordValue(micros);
            direct.RecordValue(micros);
        }

        var merged = HistogramMerger.Merge(perSecond);

        Assert.Equal(direct.TotalCount, merged.TotalCount);
        Assert.Equal(perSecond.Sum(h => h.TotalCount), merged.TotalCount);
        foreach (var percentile in new[] { 0.0, 50, 90, 99, 99.9, 100 })
        {
            Assert.Equal(direct.GetValueAtPercentile(percentile), merged.GetValueAtPercentile(percentile));
        }

        Assert.Equal(direct.GetMaxValue(), merged.GetMaxValue());
    }

    [Fact]
    public void MergingNothingGivesAnEmptyHistogram()
    {
        var merged = HistogramMerger.Merge([]);
        Assert.Equal(0, merged.TotalCount);
        Assert.Null(LatencyHistograms.PercentileMs(merged, 99));
    }

    [Fact]
    public void RecorderTotalsAreTheSumOfItsSeconds()
    {
        var recorder = new RunRecorder();
        for (var i = 0; i < 300; i++)
        {
            var intended = Ms(i * 10);
            recorder.RecordOffered(intended);
            recorder.RecordCompletion(intended, intended + Ms(1 + (i % 7)), i % 50 == 0 ? "UNAVAILABLE" : "OK", rows: 100);
        }

        var recording = recorder.Snapshot();
        Assert.Equal(3, recording.Seconds.Count);
        Assert.Equal(300, recording.Offered);
        Assert.Equal(300, recording.Latency.TotalCount);
        Assert.Equal(recording.Seconds.Sum(s => s.Latency.TotalCount), recording.Latency.TotalCount);
        Assert.Equal(294, recording.Succeeded);
        Assert.Equal(294 * 100, recording.Rows);
        Assert.Equal(6, recording.StatusCounts["UNAVAILABLE"]);
        Assert.Equal(294, recording.StatusCounts["OK"]);
        Assert.Equal(7.0, LatencyHistograms.MaxMs(recording.Latency)!.Value, 2);
    }

    [Fact]
    public void OfferedCountsByIntendedSecondAndCompletionsByArrivalSecond()
    {
        var recorder = new RunRecorder();
        recorder.RecordOffered(Ms(900));
        recorder.RecordCompletion(Ms(900), Ms(2100), "OK", rows: 5);

        var seconds = recorder.Snapshot().Seconds;
        Assert.Equal(1, seconds[0].Offered);
        Assert.Equal(0, seconds[0].Completed);
        Assert.Equal(0, seconds[1].Completed);
        Assert.Equal(1, seconds[2].Completed);
        Assert.Equal(1200.0, LatencyHistograms.PercentileMs(seconds[2].Latency, 50)!.Value, 0);
    }

    [Fact]
    public void OutOfRangeLatenciesAreClampedNotLost()
    {
        var histogram = LatencyHistograms.CreatePerSecond();
        LatencyHistograms.Record(histogram, TimeSpan.Zero);
        LatencyHistograms.Record(histogram, TimeSpan.FromMinutes(5));
        Assert.Equal(2, histogram.TotalCount);
        Assert.True(histogram.GetMaxValue() >= LatencyHistograms.HighestMicros);
    }

    [Fact]
    public void PeekShowsTheCurrentSecondSoFar()
    {
        var recorder = new RunRecorder();
        recorder.RecordOffered(Ms(1500));
        recorder.RecordDropped(Ms(1500));
        recorder.RecordCompletion(Ms(1000), Ms(1200), "OK", rows: 1);

        var snapshot = recorder.Peek(1);
        Assert.Equal(1, snapshot.Offered);
        Assert.Equal(1, snapshot.Dropped);
        Assert.Equal(1, snapshot.Succeeded);
        Assert.NotNull(snapshot.P99Ms);
        Assert.Equal(0, recorder.Peek(7).Offered);
    }

    [Fact]
    public void PerSecondHistogramsUseTheSameRangeAsTheTotal()
    {
        HistogramBase perSecond = LatencyHistograms.CreatePerSecond();
        Assert.Equal(LatencyHistograms.CreateTotal().HighestTrackableValue, perSecond.HighestTrackableValue);
    }
}
