using Serving.Fleet.Simulation;

namespace Serving.Fleet.Pods;

/// <summary>
/// A pod's cores (or its GPUs): each runs one job at a time; jobs wait for a free one, batches
/// before request handling (a batch is admitted work that already holds a session replica), each
/// kind in arrival order. Tracks busy time inside a measured span.
/// </summary>
internal sealed class ProcessorPool
{
    private readonly Queue<PodJob> _batches = new();
    private readonly Queue<PodJob> _requests = new();
    private int _free;
    private DateTimeOffset _spanStart = DateTimeOffset.MaxValue;
    private DateTimeOffset _spanEnd = DateTimeOffset.MaxValue;

    public ProcessorPool(int processors)
    {
        Processors = processors;
        _free = processors;
    }

    public int Processors { get; }

    /// <summary>How long the last request-handling job waited for a processor (the thread pool's queue delay the admission gate watches).</summary>
    public TimeSpan LastRequestWait { get; private set; }

    /// <summary>Processor-seconds spent on jobs inside the measured span.</summary>
    public double BusySecondsInSpan { get; private set; }

    public void MeasureSpan(DateTimeOffset start, DateTimeOffset end)
    {
        (_spanStart, _spanEnd) = (start, end);
        BusySecondsInSpan = 0;
    }

    /// <summary>Starts the job now if a processor is free (scheduling its end), else queues it.</summary>
    public void Submit(PodJob job, DateTimeOffset now, EventQueue<PodEvent> events)
    {
        job.SubmittedAt = now;
        if (_free > 0)
        {
            Start(job, now, events);
        }
        else
        {
            (job.Batch is null ? _requests : _batches).Enqueue(job);
        }
    }

    /// <summary>A job ended: counts its busy time and starts the next waiting one.</summary>
    public void Finished(PodJob job, DateTimeOffset now, EventQueue<PodEvent> events)
    {
        var from = job.StartedAt > _spanStart ? job.StartedAt : _spanStart;
        var to = now < _spanEnd ? now : _spanEnd;
        if (to > from)
        {
            BusySecondsInSpan += (to - from).TotalSeconds;
        }

        _free++;
        if (_batches.TryDequeue(out var next) || _requests.TryDequeue(out next))
        {
            Start(next, now, events);
        }
    }

    private void Start(PodJob job, DateTimeOffset now, EventQueue<PodEvent> events)
    {
        _free--;
        if (job.Batch is null)
        {
            LastRequestWait = now - job.SubmittedAt;
        }

        job.StartedAt = now;
        events.Schedule(now + job.Duration, new PodEvent(PodEventKind.JobDone, job.Lane, job));
    }
}
