using Prometheus;

namespace Serving.Telemetry;

/// <summary>
/// The process and .NET runtime figures an operator reads next to the serving metrics: prometheus-net's
/// standard set (<c>process_cpu_seconds_total</c>, <c>process_working_set_bytes</c>,
/// <c>dotnet_collection_count_total</c>, …) plus the GC's total pause time and the thread pool's
/// backlog, which explain latency spikes that the serving histograms only show.
/// </summary>
internal static class RuntimeMetrics
{
    /// <summary>Adds the runtime collectors to <paramref name="registry"/>; read at each scrape.</summary>
    public static void Register(CollectorRegistry registry)
    {
        DotNetStats.Register(registry);
        var factory = Metrics.WithCustomRegistry(registry);
        var gcPause = factory.CreateCounter("dotnet_gc_pause_seconds_total",
            "Total time the runtime was paused for garbage collection since start.");
        var poolQueue = factory.CreateGauge("dotnet_threadpool_queue_length", "Work items waiting for a thread-pool thread.");
        var poolThreads = factory.CreateGauge("dotnet_threadpool_threads", "Thread-pool threads.");
        registry.AddBeforeCollectCallback(() =>
        {
            gcPause.IncTo(GC.GetTotalPauseDuration().TotalSeconds); // a counter: it only ever moves up to the runtime's total
            poolQueue.Set(ThreadPool.PendingWorkItemCount);
            poolThreads.Set(ThreadPool.ThreadCount);
        });
    }
}
