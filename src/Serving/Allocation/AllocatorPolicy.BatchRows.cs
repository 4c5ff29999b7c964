using System.Globalization;
using Serving.Batching;

namespace Serving.Allocation;

// The target batch rows: AIMD inside the cost model's ceiling (docs/allocator.md, "Target batch rows").
public sealed partial class AllocatorPolicy
{
    private sealed partial class Step
    {
        private (int Min, int Max, int CostCeiling) RowBounds()
        {
            var cap = Math.Max(1, _obs.MaxBatchRows);
            var min = Math.Min(_o.MinBatchRows, cap);
            var max = Math.Clamp(_o.MaxBatchRows ?? cap, min, cap);

            // The largest batch whose worst case fits the target: wait for a busy replica to finish
            // a batch, wait the least queue delay, compute our own batch.
            var budget = _target - _o.MinQueueDelay;
            var lo = min;
            var hi = max;
            if (2 * _obs.PredictCompute(lo) > budget)
            {
                return (min, max, min);
            }

            while (lo < hi)
            {
                var mid = lo + ((hi - lo + 1) / 2);
                if (2 * _obs.PredictCompute(mid) <= budget)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            return (min, max, lo);
        }

        private int DecideRows(int minRows, int maxRows, int costCeiling)
        {
            var rows = _obs.TargetBatchRows;
            var knob = _mem.Rows;
            if (_model.TargetBatchRows is { } pin)
            {
                var pinned = Math.Clamp(pin, 1, Math.Max(1, _obs.MaxBatchRows));
                return pinned == rows ? rows : Change(knob, Knobs.TargetBatchRows, rows, pinned, $"pinned by Serving:Allocator:Models:{_obs.Model}:TargetBatchRows");
            }

            if (!Controls || _obs.Mode == BatchingMode.None)
            {
                return rows;
            }

            knob.Ceiling.Expire(_now, RowRate, _o);
            if (rows < minRows || rows > maxRows)
            {
                var clamped = Math.Clamp(rows, minRows, maxRows);
                return Change(knob, Knobs.TargetBatchRows, rows, clamped, $"outside the bounds [{minRows}, {maxRows}] rows");
            }

            if (rows > costCeiling && rows > costCeiling * 1.1)
            {
                return Change(knob, Knobs.TargetBatchRows, rows, costCeiling,
                    $"cost model: 2 x compute({rows} rows) = {Ms(2 * _obs.PredictCompute(rows))} ms does not fit the target {Ms(_target)} ms less the least queue delay; {costCeiling} rows does");
            }

            if (_aboveTarget)
            {
                if (_overloaded)
                {
                    // Queueing, not batch size, drives p99: more rows per run raise capacity, fewer would lower it.
                    if (CanIncrease(knob) && rows < costCeiling)
                    {
                        var next = Math.Min(costCeiling, Math.Max(rows + _o.BatchRowsStep, rows + (rows / 2)));
                        var gain = ((Capacity(next) / Capacity(rows)) - 1) * ComputeShare();
                        if (gain >= _o.MinCapacityGain)
                        {
                            return Change(knob, Knobs.TargetBatchRows, rows, next,
                                $"{Why()} with the replicas {Pct(_busy)} busy and the CPU {Pct(_cpu)} (overloaded >= {Pct(_o.HighUtilization)}): {next} rows per batch add {Pct(gain)} capacity (cost model)");
                        }
                    }

                    return rows;
                }

                if (CanDecrease(knob) && !MissesBatchingCannotExplain(rows, _obs.MaxQueueDelay))
                {
                    var factor = _violated ? _o.ViolationDecreaseFactor : _o.DecreaseFactor;
                    var next = NotIntoOverload(Math.Max(minRows, (int)(rows * factor)), rows);
                    if (next < rows && BatchTimeMatters(rows, next))
                    {
                        knob.Ceiling.Remember(rows, _now, RowRate);
                        return Change(knob, Knobs.TargetBatchRows, rows, next, $"{Why()}: smaller batches (x{factor.ToString("0.##", CultureInfo.InvariantCulture)})");
                    }
                }

                return rows;
            }

            if (_belowLowWater && CanIncrease(knob))
            {
                var limit = Math.Min(maxRows, costCeiling);
                if (knob.Ceiling.Value is { } ceiling)
                {
                    limit = Math.Min(limit, (int)ceiling - _o.BatchRowsStep);
                }

                // Far below the target, grow by a quarter at a time; near it, by one step.
                var increase = _m!.P99 < _target / 2 ? Math.Max(_o.BatchRowsStep, rows / 4) : _o.BatchRowsStep;
                var next = Math.Min(rows + increase, limit);
                if (next > rows)
                {
                    return Change(knob, Knobs.TargetBatchRows, rows, next,
                        $"p99 {Ms(_m.P99!.Value)} ms below {Ms(_lowWater)} ms (target {Ms(_target)} ms less the hysteresis): larger batches for throughput");
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
            var rho = Math.Min(_busy, 0.95);
            var saved = (2 + (2 * rho / (1 - rho))) * (_obs.PredictCompute(rows) - _obs.PredictCompute(next));
            var p99 = _m?.P99 ?? TimeSpan.Zero;
            var excess = p99 - _target;
            var floor = _target / 10;
            return saved >= (excess > floor ? excess : floor) / 10;
        }

        /// <summary>
        /// Whether the window's only fault is refused or late requests (p99 of the answered ones within
        /// the target) while a batch's worst case, waiting <paramref name="delay"/> and computing behind
        /// one batch and then its own, is under half the target. Then the misses come from load
        /// (bursts, a full queue) and not from batches that take too long: smaller batches or shorter
        /// waits would lower capacity and refuse more, so both knobs hold. The first measurements
        /// showed the cost: a burst of refusals as load began halved both, and the controller spent
        /// the next half minute of the run growing them back.
        /// </summary>
        private bool MissesBatchingCannotExplain(int rows, TimeSpan delay) =>
            _violated
            && !(_m?.P99 > _target)
            && delay + (2 * _obs.PredictCompute(rows)) < _target / 2;

        /// <summary>
        /// Share of the CPU time per row that batching can save: the model's compute time per row over
        /// the process's CPU time per row (API, features and batching included). 1 when unknown.
        /// </summary>
        private double ComputeShare()
        {
            if (_local is not { RowRate: > 0, BusyReplicaSeconds: > 0 } || _obs.Pod?.CpuSecondsPerRow is not { } cpuPerRow)
            {
                return 1;
            }

            return Math.Clamp(_local.BusyReplicaSeconds / _local.RowRate / cpuPerRow, 0, 1);
        }

        /// <summary>Rows per second one replica computes at the given batch size (cost model).</summary>
        private double Capacity(int rows) => rows / Math.Max(_obs.PredictCompute(rows).TotalSeconds, 1e-9);

        /// <summary>The smallest batch in [<paramref name="next"/>, <paramref name="rows"/>] whose predicted busy share stays clear of overload.</summary>
        private int NotIntoOverload(int next, int rows)
        {
            if (_busy <= 0)
            {
                return next;
            }

            var limit = _o.HighUtilization * 0.95;
            double Predicted(int r) => _busy * Capacity(rows) / Capacity(r);
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
}
