using Serving.Batching;

namespace Serving.Allocation;

// The max queue delay: the second lever (docs/allocator.md, "Max queue delay").
public sealed partial class AllocatorPolicy
{
    private sealed partial class Step
    {
        private TimeSpan DecideDelay(int rows, int maxRows, int costCeiling)
        {
            var delay = _obs.MaxQueueDelay;
            var knob = _mem.Delay;
            if (_model.MaxQueueDelay is { } pin)
            {
                var pinned = pin < TimeSpan.Zero ? TimeSpan.Zero : pin;
                return pinned == delay ? delay : ChangeDelay(knob, delay, pinned, $"pinned by Serving:Allocator:Models:{_obs.Model}:MaxQueueDelay");
            }

            if (!Controls || _obs.Mode == BatchingMode.None)
            {
                return delay;
            }

            knob.Ceiling.Expire(_now, RowRate, _o);
            var adaptive = _obs.Mode == BatchingMode.Adaptive;
            var max = _o.MaxQueueDelay ?? (adaptive ? _obs.Slo / 2 : _obs.Slo / 4);
            var min = _o.MinQueueDelay < max ? _o.MinQueueDelay : max;

            // What the target leaves after the worst-case compute of the chosen batch size. In static
            // mode a row may wait the whole delay, then for a batch in progress, then for its own. In
            // adaptive mode the batcher dispatches as soon as no replica is busy, and early enough for
            // the earliest deadline in the batch, so the wait for a batch in progress is inside the
            // delay: what is left is the delay and the row's own batch. There the delay is what lets
            // a busy replica's successor fill up instead of starting small batches beside it.
            var budget = _target - ((adaptive ? 1 : 2) * _obs.PredictCompute(rows));
            budget = budget < min ? min : budget > max ? max : budget;
            if (delay < min || delay > max)
            {
                return ChangeDelay(knob, delay, delay < min ? min : max, $"outside the bounds [{Ms(min)}, {Ms(max)}] ms");
            }

            if (delay > budget && delay - budget > TimeSpan.FromTicks(Math.Max(budget.Ticks / 10, TimeSpan.TicksPerMillisecond / 10)))
            {
                return ChangeDelay(knob, delay, budget,
                    $"budget: target {Ms(_target)} ms less {(adaptive ? 1 : 2)} x compute({rows} rows) = {Ms((adaptive ? 1 : 2) * _obs.PredictCompute(rows))} ms leaves {Ms(budget)} ms to wait");
            }

            if (_aboveTarget)
            {
                // Overloaded in adaptive mode, the delay holds: the processor is the bottleneck, and
                // a shorter wait only starts a batch beside a busy one to split the same CPU, with
                // smaller batches and more runs per row. (The first measurement showed it: cut from
                // 5 to 0.8 ms during the step, p99 stayed over the SLO until the run ended.)
                var holdForCapacity = adaptive && _overloaded;
                if (delay > min && CanDecrease(knob) && !holdForCapacity && !MissesBatchingCannotExplain(rows, delay))
                {
                    var factor = _violated ? _o.ViolationDecreaseFactor : _o.DecreaseFactor;
                    var next = delay * factor;
                    if (next - min < _o.QueueDelayStep / 2)
                    {
                        next = min;
                    }

                    knob.Ceiling.Remember(delay.TotalSeconds, _now, RowRate);
                    return ChangeDelay(knob, delay, next, $"{Why()}: shorter waits for more rows");
                }

                return delay;
            }

            // Waiting for more rows is the second lever: near the target only once the batch size
            // cannot grow; far below it (p99 under half the target) alongside it, by a quarter at a
            // time, so a cold default converges in a few steps.
            var rowsAtLimit = _model.TargetBatchRows is not null
                || rows >= Math.Min(maxRows, costCeiling)
                || (_mem.Rows.Ceiling.Value is { } rowsCeiling && rows >= rowsCeiling - _o.BatchRowsStep);
            var farBelow = _belowLowWater && _m!.P99 < _target / 2;
            if (_belowLowWater && (rowsAtLimit || farBelow) && CanIncrease(knob))
            {
                var limit = budget;
                if (knob.Ceiling.Value is { } ceiling)
                {
                    var below = TimeSpan.FromSeconds(ceiling) - _o.QueueDelayStep;
                    limit = below < limit ? below : limit;
                }

                var quarter = TimeSpan.FromTicks(delay.Ticks / 4);
                var next = delay + (farBelow && quarter > _o.QueueDelayStep ? quarter : _o.QueueDelayStep);
                next = next > limit ? limit : next;
                if (next > delay)
                {
                    var why = rowsAtLimit ? $"the batch size at its limit ({rows} rows)" : $"under half the target {Ms(_target)} ms";
                    return ChangeDelay(knob, delay, next,
                        $"p99 {Ms(_m!.P99!.Value)} ms below {Ms(_lowWater)} ms and {why}: wait longer for fuller batches");
                }
            }

            return delay;
        }
    }
}
