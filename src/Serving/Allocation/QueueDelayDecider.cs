using Serving.Batching;
using static Serving.Allocation.ReasonFormat;

namespace Serving.Allocation;

/// <summary>The max queue delay: the second lever (docs/allocator.md, "Max queue delay").</summary>
internal sealed class QueueDelayDecider(StepContext step)
{
    /// <summary>The max queue delay for this step, given the target batch rows just decided; a change is recorded on the step.</summary>
    public TimeSpan Decide(int rows, BatchRowBounds rowBounds)
    {
        var delay = step.Observation.MaxQueueDelay;
        var knob = step.Memory.Delay;
        if (step.ModelOptions.MaxQueueDelay is { } pin)
        {
            var pinned = pin < TimeSpan.Zero ? TimeSpan.Zero : pin;
            return pinned == delay ? delay : step.ChangeDelay(delay, pinned, $"pinned by Serving:Allocator:Models:{step.Observation.Model}:MaxQueueDelay");
        }

        if (!step.Controls || step.Observation.Mode == BatchingMode.None)
        {
            return delay;
        }

        knob.Ceiling.Expire(step.Now, step.RowRate, step.Options);
        var adaptive = step.Observation.Mode == BatchingMode.Adaptive;
        var max = step.Options.MaxQueueDelay ?? (adaptive ? step.Observation.Slo / 2 : step.Observation.Slo / 4);
        var min = step.Options.MinQueueDelay < max ? step.Options.MinQueueDelay : max;

        // What the target leaves after the worst-case compute of the chosen batch size. In static
        // mode a row may wait the whole delay, then for a batch in progress, then for its own. In
        // adaptive mode the batcher dispatches as soon as no replica is busy, and early enough for
        // the earliest deadline in the batch, so the wait for a batch in progress is inside the
        // delay: what is left is the delay and the row's own batch. There the delay is what lets
        // a busy replica's successor fill up instead of starting small batches beside it.
        var budget = step.TargetP99 - ((adaptive ? 1 : 2) * step.PredictCompute(rows));
        budget = budget < min ? min : budget > max ? max : budget;
        if (delay < min || delay > max)
        {
            return step.ChangeDelay(delay, delay < min ? min : max, $"outside the bounds [{Ms(min)}, {Ms(max)}] ms");
        }

        if (delay > budget && delay - budget > TimeSpan.FromTicks(Math.Max(budget.Ticks / 10, TimeSpan.TicksPerMillisecond / 10)))
        {
            return step.ChangeDelay(delay, budget,
                $"budget: target {Ms(step.TargetP99)} ms less {(adaptive ? 1 : 2)} x compute({rows} rows) = {Ms((adaptive ? 1 : 2) * step.PredictCompute(rows))} ms leaves {Ms(budget)} ms to wait");
        }

        if (step.AboveTarget)
        {
            // Overloaded in adaptive mode, the delay holds: the processor is the bottleneck, and
            // a shorter wait only starts a batch beside a busy one to split the same CPU, with
            // smaller batches and more runs per row. (The first measurement showed it: cut from
            // 5 to 0.8 ms during the step, p99 stayed over the SLO until the run ended.)
            var holdForCapacity = adaptive && step.Overloaded;
            if (delay > min && step.CanDecrease(knob) && !holdForCapacity && !step.MissesBatchingCannotExplain(rows, delay))
            {
                var factor = step.SloViolated ? step.Options.ViolationDecreaseFactor : step.Options.DecreaseFactor;
                var next = delay * factor;
                if (next - min < step.Options.QueueDelayStep / 2)
                {
                    next = min;
                }

                knob.Ceiling.Remember(delay.TotalSeconds, step.Now, step.RowRate);
                return step.ChangeDelay(delay, next, $"{step.Why()}: shorter waits for more rows");
            }

            return delay;
        }

        // Waiting for more rows is the second lever: near the target only once the batch size
        // cannot grow; far below it (p99 under half the target) alongside it, by a quarter at a
        // time, so a cold default converges in a few steps.
        var rowsAtLimit = step.ModelOptions.TargetBatchRows is not null
            || rows >= Math.Min(rowBounds.Max, rowBounds.CostCeiling)
            || (step.Memory.Rows.Ceiling.Value is { } rowsCeiling && rows >= rowsCeiling - step.Options.BatchRowsStep);
        var farBelow = step.BelowLowWater && step.Measurement!.P99 < step.TargetP99 / 2;
        if (step.BelowLowWater && (rowsAtLimit || farBelow) && step.CanIncrease(knob))
        {
            var limit = budget;
            if (knob.Ceiling.Value is { } ceiling)
            {
                var below = TimeSpan.FromSeconds(ceiling) - step.Options.QueueDelayStep;
                limit = below < limit ? below : limit;
            }

            var quarter = TimeSpan.FromTicks(delay.Ticks / 4);
            var next = delay + (farBelow && quarter > step.Options.QueueDelayStep ? quarter : step.Options.QueueDelayStep);
            next = next > limit ? limit : next;
            if (next > delay)
            {
                var why = rowsAtLimit ? $"the batch size at its limit ({rows} rows)" : $"under half the target {Ms(step.TargetP99)} ms";
                return step.ChangeDelay(delay, next,
                    $"p99 {Ms(step.Measurement!.P99!.Value)} ms below {Ms(step.LowWater)} ms and {why}: wait longer for fuller batches");
            }
        }

        return delay;
    }
}
