using Serving.Admission;
using Serving.Batching;
using Serving.Contracts.Ranking.V1;
using Serving.Features;
using Serving.Fleet.Devices;
using Serving.Fleet.Simulation;
using Serving.Models;

namespace Serving.Fleet.Pods;

/// <summary>
/// One pod in detail, event by event on the simulated clock: Poisson arrivals per model, each
/// request's handling on a core (<see cref="RequestCpuCost"/>), then the real batcher
/// (<see cref="BatchQueue.Admit"/>, <see cref="BatchQueue.Enqueue"/>, <see cref="BatchQueue.TakeBatch"/>,
/// <see cref="BatchQueue.NextDecisionTime"/>, <see cref="BatchQueue.RemoveExpired"/>) deciding what
/// is refused, when a batch leaves and what it carries, and batches computed on a core or GPU for
/// the time the device's cost curve gives. Single-threaded and deterministic.
/// </summary>
internal sealed class PodSimulator
{
    private static readonly IReadOnlyList<InputTensorSpec> NoInputs = [];

    private readonly PodProfile _profile;
    private readonly SimClock _clock;
    private readonly Random _random;
    private readonly EventQueue<PodEvent> _events = new();
    private readonly ProcessorPool _cores;
    private readonly ProcessorPool? _gpus;
    private DateTimeOffset _arrivalsEnd;
    private DateTimeOffset _measureStart;
    private DateTimeOffset _measureEnd;
    private readonly AdmissionGate _gate;

    public PodSimulator(PodProfile profile, IReadOnlyList<SimModel> models, SimClock clock, Random random)
    {
        _profile = profile;
        _clock = clock;
        _random = random;
        _cores = new ProcessorPool(profile.Cores);
        _gpus = profile.Gpus > 0 ? new ProcessorPool(profile.Gpus) : null;
        Lanes = [.. models.Select(m => new ModelLane(m, profile))];
        var halfSlo = models.Min(m => m.Slo) / 2;
        _gate = new AdmissionGate(new AdmissionOptions(), () => halfSlo, clock, () => _cores.LastRequestWait);
    }

    /// <summary>The server's admission gate (adaptive in-flight limit) in front of every model.</summary>
    public AdmissionGate Gate => _gate;

    public IReadOnlyList<ModelLane> Lanes { get; }

    public PodProfile Profile => _profile;

    /// <summary>Batches dispatched so far (all windows): evidence that the batcher decided them.</summary>
    public long BatchesDispatched { get; private set; }

    /// <summary>Rows in those batches.</summary>
    public long RowsDispatched { get; private set; }

    /// <summary>
    /// Simulates <paramref name="warmUpSeconds"/> of arrivals (not counted) then
    /// <paramref name="measureSeconds"/> (counted), at the given requests per second per lane, and
    /// runs on until every request has finished. The clock ends past the window.
    /// </summary>
    public PodWindow RunWindow(IReadOnlyList<double> requestsPerSecond, double warmUpSeconds, double measureSeconds)
    {
        var start = _clock.Now;
        _measureStart = start + TimeSpan.FromSeconds(warmUpSeconds);
        _measureEnd = _measureStart + TimeSpan.FromSeconds(measureSeconds);
        _arrivalsEnd = _measureEnd;
        _cores.MeasureSpan(_measureStart, _measureEnd);
        _gpus?.MeasureSpan(_measureStart, _measureEnd);
        for (var i = 0; i < Lanes.Count; i++)
        {
            Lanes[i].Counters = new LaneCounters();
            ScheduleArrival(Lanes[i], start, requestsPerSecond[i]);
        }

        var rates = requestsPerSecond;
        while (_events.Count > 0)
        {
            var item = _events.Dequeue(out var at);
            _clock.AdvanceTo(at);
            Handle(item, rates);
        }

        if (_clock.Now < _measureEnd)
        {
            _clock.AdvanceTo(_measureEnd);
        }

        return new PodWindow(
            measureSeconds,
            [.. Lanes.Select(l => l.Counters)],
            _cores.BusySecondsInSpan,
            _gpus?.BusySecondsInSpan ?? 0,
            _profile.Cores);
    }

    private void Handle(PodEvent item, IReadOnlyList<double> rates)
    {
        var now = _clock.Now;
        switch (item.Kind)
        {
            case PodEventKind.Arrival:
                Arrive(item.Lane, now);
                ScheduleArrival(item.Lane, now, rates[IndexOf(item.Lane)]);
                break;
            case PodEventKind.JobDone:
                var job = item.Job!;
                if (job.Batch is { } batch)
                {
                    (_gpus ?? _cores).Finished(job, now, _events);
                    Computed(job, batch, now);
                }
                else
                {
                    _cores.Finished(job, now, _events);
                    if (!job.Refusal)
                    {
                        Admit(job.Lane, job.Request!, now);
                    }
                }

                break;
            case PodEventKind.DispatchTimer:
                if (item.Lane.TimerAt == now)
                {
                    item.Lane.TimerAt = null;
                }

                break;
        }

        Dispatch(item.Lane, now);
    }

    private int IndexOf(ModelLane lane)
    {
        for (var i = 0; i < Lanes.Count; i++)
        {
            if (ReferenceEquals(Lanes[i], lane))
            {
                return i;
            }
        }

        return -1;
    }

    private void ScheduleArrival(ModelLane lane, DateTimeOffset from, double perSecond)
    {
        if (perSecond <= 0)
        {
            return;
        }

        var gap = -Math.Log(1 - _random.NextDouble()) / perSecond;
        var at = from + TimeSpan.FromSeconds(gap);
        if (at < _arrivalsEnd)
        {
            _events.Schedule(at, new PodEvent(PodEventKind.Arrival, lane, null));
        }
    }

    private void Arrive(ModelLane lane, DateTimeOffset now)
    {
        var measured = now >= _measureStart && now < _measureEnd;
        var request = new SimRequest(now, lane.Model.Candidates.Next(_random), measured);
        if (measured)
        {
            lane.Counters.Offer();
        }

        request.Ticket = _gate.TryEnter(Priority.Normal);
        if (!request.Ticket.IsAdmitted)
        {
            Finish(lane, request, late: false);
            _cores.Submit(new PodJob(lane, _profile.RequestCost.RefusalCost) { Request = request, Refusal = true }, now, _events);
            return;
        }

        _cores.Submit(new PodJob(lane, _profile.RequestCost.For(request.Rows)) { Request = request }, now, _events);
    }

    private void Admit(ModelLane lane, SimRequest request, DateTimeOffset now)
    {
        var task = new ScoringTask(FeatureRows.Rent(NoInputs, request.Rows), request.ArrivedAt + lane.Model.Slo, Priority.Normal, now);
        try
        {
            lane.Queue.Admit(task, now, lane.BusyReplicas, lane.ActiveReplicas);
        }
        catch (ScoringRejectedException)
        {
            Finish(lane, request, late: false);
            return;
        }
        catch (DeadlineExceededException)
        {
            Finish(lane, request, late: true);
            return;
        }

        lane.Queue.Enqueue(task);
        request.Task = task;
        lane.InFlight[task] = request;
    }

    private void Dispatch(ModelLane lane, DateTimeOffset now)
    {
        foreach (var expired in lane.Queue.RemoveExpired(now))
        {
            if (lane.InFlight.Remove(expired, out var request))
            {
                Finish(lane, request, late: true);
            }
        }

        while (lane.BusyReplicas < lane.ActiveReplicas && lane.Queue.TakeBatch(now, lane.BusyReplicas) is { } batch)
        {
            foreach (var slice in batch.Slices)
            {
                slice.Owner!.Start(slice);
                if (lane.InFlight.TryGetValue(slice.Owner, out var request))
                {
                    request.RunningSlices++;
                }
            }

            lane.BusyReplicas++;
            BatchesDispatched++;
            RowsDispatched += batch.Rows;
            var noise = Math.Exp(0.05 * Traces.Gaussian.Next(_random));
            var compute = TimeSpan.FromTicks((long)(lane.Curve.Compute(batch.Rows).Ticks * noise));
            (_gpus ?? _cores).Submit(new PodJob(lane, compute) { Batch = batch }, now, _events);
        }

        if (lane.Queue.NextDecisionTime() is { } next && lane.BusyReplicas < lane.ActiveReplicas)
        {
            var at = next > now ? next : now + TimeSpan.FromTicks(1);
            if (lane.TimerAt is not { } pending || at < pending)
            {
                lane.TimerAt = at;
                _events.Schedule(at, new PodEvent(PodEventKind.DispatchTimer, lane, null));
            }
        }
    }

    private void Computed(PodJob job, Batch batch, DateTimeOffset now)
    {
        var lane = job.Lane;
        lane.BusyReplicas--;

        // A session's run lasts, as the server measures it, from the call to its return: waiting
        // for the core or GPU (another replica's run, request handling) included. The cost model
        // and the busy share learn that time, as DevicePool's do.
        var run = now - job.SubmittedAt;
        lane.Cost.Observe(batch.Rows, run);
        var from = job.SubmittedAt > _measureStart ? job.SubmittedAt : _measureStart;
        var to = now < _measureEnd ? now : _measureEnd;
        if (to > from)
        {
            lane.Counters.ComputeSeconds += (to - from).TotalSeconds;
        }

        foreach (var slice in batch.Slices)
        {
            var task = slice.Owner!;
            if (!lane.InFlight.TryGetValue(task, out var request))
            {
                continue;
            }

            request.RunningSlices--;
            if (request.RunningSlices == 0 && task.Queued.Count == 0)
            {
                lane.InFlight.Remove(task);
                lane.Queue.Lateness.Observe(now - task.ExpectedFinish);
                Finish(lane, request, late: now > task.Deadline);
            }
        }
    }

    private void Finish(ModelLane lane, SimRequest request, bool late)
    {
        if (request.Finished)
        {
            return;
        }

        request.Finished = true;
        request.Task?.Rows.Dispose();
        _gate.Leave(request.Ticket);
        if (!request.Measured)
        {
            return;
        }

        lane.Counters.SecondsInPod += (_clock.Now - request.ArrivedAt).TotalSeconds;

        if (request.Task is null)
        {
            if (late)
            {
                lane.Counters.MarkLate();
            }
            else
            {
                lane.Counters.Refuse();
            }
        }
        else if (late)
        {
            lane.Counters.MarkLate();
        }
        else
        {
            lane.Counters.Answer((_clock.Now - request.ArrivedAt).TotalMilliseconds, request.Rows);
        }
    }
}
