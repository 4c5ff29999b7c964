using System.Globalization;
using Serving.Batching;
using static Serving.Allocation.ReasonFormat;

namespace Serving.Allocation;

/// <summary>The target batch rows: AIMD inside the cost model's ceiling (docs/allocator.md, "Target batch rows").</summary>
internal sealed class BatchRowsDecider(StepContext step)
{
    /// <summary>The bounds of the target batch rows, and the cost model's ceiling inside them.</summary>
    public BatchRowBounds Bounds()
    {
        var cap = Math.Max(1, step.Observation.MaxBatchRows);
        var min = Math.Min(step.Options.MinBatchRows, cap);
        var max = Math.Clamp(step.Options.MaxBatchRows ?? cap, min, cap);

        // The largest batch whose worst case fits the target: wait for a busy replica to finish
        // a batch, wait the least queue delay, compute our own batch.
        var budget = step.TargetP99 - step.Options.MinQueueDelay;
        var lo = min;
        var hi = max;
        if (2 * step.PredictCompute(lo) > budget)
        {
            return new BatchRowBounds(min, max, min);
        }

        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            if (2 * step.PredictCompute(mid) <= budget)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return new BatchRowBounds(min, max, lo);
    }

    /// <summary>The target batch rows for this step; a change is recorded on the step.</summary>
    public int Decide(BatchRowBounds bounds)
    {
        var (minRows, maxRows, costCeiling) = bounds;
        var rows = step.Observation.TargetBatchRows;
        var knob = step.Memory.Rows;
        if (step.ModelOptions.TargetBatchRows is { } pin)
        {
            var pinned = Math.Clamp(pin, 1, Math.Max(1, step.Observation.MaxBatchRows));
            return pinned == rows ? rows : step.ChangeRows(rows, pinned, $"pinned by Serving:Allocator:Models:{step.Observation.Model}:TargetBatchRows");
        }

        if (!step.Controls || step.Observation.Mode == BatchingMode.None)
        {
            return rows;
        }

        knob.Ceiling.Expire(step.Now, step.RowRate, step.Options);
        if (rows < minRows || rows > maxRows)
        {
            var clamped = Math.Clamp(rows, minRows, maxRows);
            return step.ChangeRows(rows, clamped, $"outside the bounds [{minRows}, {maxRows}] rows");
        }

        if (rows > costCeiling && rows > costCeiling * 1.1)
        {
            return step.ChangeRows(rows, costCeiling,
                $"cost model: 2 x compute({rows} rows) = {Ms(2 * step.PredictCompute(rows))} ms does not fit the target {Ms(step.TargetP99)} ms less the least queue delay; {costCeiling} rows does");
        }

        if (step.AboveTarget)
        {
            if (step.Overloaded)
            {
                // Queueing, not batch size, drives p99: more rows per run raise capacity, fewer would lower it.
                if (step.CanIncrease(knob) && rows < costCeiling)
                {
                    var next = Math.Min(costCeiling, Math.Max(rows + step.Options.BatchRowsStep, rows + (rows / 2)));
                    var gain = ((Capacity(next) / Capacity(rows)) - 1) * ComputeShare();
                    if (gain >= step.Options.MinCapacityGain)
                    {
                        return step.ChangeRows(rows, next,
                            $"{step.Why()} with the replicas {Pct(step.BusyRatio)} busy and the CPU {Pct(step.CpuRatio)} (overloaded >= {Pct(step.Options.HighUtilization)}): {next} rows per batch add {Pct(gain)} capacity (cost model)");
                    }
                }

                return rows;
            }

            if (step.CanDecrease(knob) && !step.MissesBatchingCannotExplain(rows, step.Observation.MaxQueueDelay))
            {
                var factor = step.SloViolated ? step.Options.ViolationDecreaseFactor : step.Options.DecreaseFactor;
                var next = NotIntoOverload(Math.Max(minRows, (int)(rows * factor)), rows);
                if (next < rows && BatchTimeMatters(rows, next))
                {
                    knob.Ceiling.Remember(rows, step.Now, step.RowRate);
                    return step.ChangeRows(rows, next, $"{step.Why()}: smaller batches (x{factor.ToString("0.##", CultureInfo.InvariantCulture)})");
                }
            }

            return rows;
        }

        if (step.BelowLowWater && step.CanIncrease(knob))
        {
            var limit = Math.Min(maxRows, costCeiling);
            if (knob.Ceiling.Value is { } ceiling)
            {
                limit = Math.Min(limit, (int)ceiling - step.Options.BatchRowsStep);
            }

            // Far below the target, grow by a quarter at a time; near it, by one step.
            var increase = step.Measurement!.P99 < step.TargetP99 / 2 ? Math.Max(step.Options.BatchRowsStep, rows / 4) : step.Options.BatchRowsStep;
            var next = Math.Min(rows + increase, limit);
            if (next > rows)
            {
                return step.ChangeRows(rows, next,
                    $"p99 {Ms(step.Measurement.P99!.Value)} ms below {Ms(step.LowWater)} ms (target {Ms(step.TargetP99)} ms less the hysteresis): larger batches for throughput");
            }
        }

        return rows;
    }

    /// <summary>
    /// Whether smaller batches can account for the excess. They win back about the compute they
    /// save, cost(rows) − cost(next), for the batch in progress and the row's own, amplified by
    /// queueing at the replicas' busy share ρ (M/D/1: × 2ρ/(1−ρ) more): k = 2 + 2ρ/(1−ρ). Unless
    /// that is at least a tenth of how far p99 is over the target, batch compute is not what
    /// makes p99 high (queueing for the CPU, the rest of the request path, a noisy neighbour
    /// are), and smaller batches would only cost throughput: split requests, more runs, more
    /// fixed cost per row.
    /// </summary>
    private bool BatchTimeMatters(int rows, int next)
    {
        var rho = Math.Min(step.BusyRatio, 0.95);
        var saved = (2 + (2 * rho / (1 - rho))) * (step.PredictCompute(rows) - step.PredictCompute(next));
        var p99 = step.Measurement?.P99 ?? TimeSpan.Zero;
        var excess = p99 - step.TargetP99;
        var floor = step.TargetP99 / 10;
        return saved >= (excess > floor ? excess : floor) / 10;
    }

    /// <summary>
    /// Share of the CPU time per row that batching can save: the model's compute time per row over
    /// the process's CPU time per row (API, features and batching included). 1 when unknown.
    /// </summary>
    private double ComputeShare()
    {
        if (step.Local is not { RowRate: > 0, BusyReplicaSeconds: > 0 } || step.Observation.Pod?.CpuSecondsPerRow is not { } cpuPerRow)
        {
            return 1;
        }

        return Math.Clamp(step.Local.BusyReplicaSeconds / step.Local.RowRate / cpuPerRow, 0, 1);
    }

    /// <summary>Rows per second one replica computes at the given batch size (cost model).</summary>
    private double Capacity(int rows) => rows / Math.Max(step.PredictCompute(rows).TotalSeconds, 1e-9);

    /// <summary>The smallest batch in [<paramref name="next"/>, <paramref name="rows"/>] whose predicted busy share stays clear of overload.</summary>
    private int NotIntoOverload(int next, int rows)
    {
        if (step.BusyRatio <= 0)
        {
            return next;
        }

        var limit = step.Options.HighUtilization * 0.95;
        double Predicted(int r) => step.BusyRatio * Capacity(rows) / Capacity(r);
        if (Predicted(next) < limit)
        {
            return next;
        }

        if (Predicted(rows) >= limit)
        {
            return rows;
        }

        var lo = next;
        var hi = rows;
        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            if (Predicted(mid) < limit)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return hi;
    }
}
