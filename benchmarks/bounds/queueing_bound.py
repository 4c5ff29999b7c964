#!/usr/bin/env python3
"""The most an ideal one-core server can offer at an SLO (issue #19, goal P1).

An ideal server: one core, requests served one at a time without preemption, a request of n
candidates costing FIXED_US + n / ROWS_PER_SECOND (raw ONNX Runtime's best per-row cost, as if
every request ran at the best batch size, with no parse, no transport and no batching cost unless
FIXED_US says so). Poisson arrivals; candidate counts log-normal with mean 165 and sigma 1.0,
clamped to [1, 1024], as the load generator's default. Bisects the highest rate, as a share of raw
ONNX Runtime's request rate (ROWS_PER_SECOND / 165), whose share of answers later than the SLO stays
below 0.1% (the goodput search's error threshold), in arrival order (earliest deadline first, as
every request has the same SLO) and shortest first. Deterministic: fixed seeds.

  benchmarks/bounds/queueing_bound.py --rows-per-second 198000 --slo-ms 20 --fixed-us 0 470
"""
import argparse
import heapq
import math
import random

MEAN_CANDIDATES = 165


def late_share(rate, rows_per_second, fixed_us, slo_s, order, seconds, seed):
    rng = random.Random(seed)
    mu = math.log(MEAN_CANDIDATES) - 0.5
    arrivals, t = [], 0.0
    while t < seconds:
        t += rng.expovariate(rate)
        candidates = min(1024, max(1, int(round(rng.lognormvariate(mu, 1.0)))))
        arrivals.append((t, fixed_us / 1e6 + candidates / rows_per_second))
    late, free, i, queue = 0, 0.0, 0, []
    while i < len(arrivals) or queue:
        if not queue:
            free = max(free, arrivals[i][0])
        while i < len(arrivals) and arrivals[i][0] <= free:
            arrived, service = arrivals[i]
            heapq.heappush(queue, (arrived if order == "arrival" else service, arrived, service))
            i += 1
        _, arrived, service = heapq.heappop(queue)
        free += service
        late += free - arrived > slo_s
    return late / len(arrivals)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows-per-second", type=float, required=True, help="raw ONNX Runtime's best rows/s on one core")
    parser.add_argument("--slo-ms", type=float, required=True)
    parser.add_argument("--fixed-us", type=float, nargs="+", default=[0.0], help="CPU per request besides the model (e.g. the transport floor)")
    parser.add_argument("--seconds", type=float, default=300, help="simulated seconds per trial")
    parser.add_argument("--seeds", type=int, default=3, help="trials per rate; the median share is used")
    args = parser.parse_args()
    raw_requests = args.rows_per_second / MEAN_CANDIDATES
    for fixed in args.fixed_us:
        for order in ("arrival", "shortest"):
            lo, hi = 0.01, 1.0
            for _ in range(12):
                mid = (lo + hi) / 2
                shares = sorted(late_share(mid * raw_requests, args.rows_per_second, fixed, args.slo_ms / 1000, order, args.seconds, s)
                                for s in range(args.seeds))
                lo, hi = (mid, hi) if shares[len(shares) // 2] < 0.001 else (lo, mid)
            print(f"fixed {fixed:g} us per request, {order} order: under 0.1% late up to {lo:.3f}x raw ONNX Runtime ({lo * raw_requests:,.0f} req/s)")


if __name__ == "__main__":
    main()
