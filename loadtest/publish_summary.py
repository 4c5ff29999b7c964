#!/usr/bin/env python3
"""Summarises a loadtest/publish-scenario.sh run: errors and p99 per second beside what was
published when, and the server's resident memory. Standard library only.

    publish_summary.py OUT_DIR [on|off]
"""
import json
import sys
from datetime import datetime
from pathlib import Path


def main() -> int:
    out = Path(sys.argv[1])
    swaps = (sys.argv[2] if len(sys.argv) > 2 else "on") == "on"
    summary = json.loads((out / "load" / "summary.json").read_text())
    series = json.loads((out / "load" / "timeseries.json").read_text())
    started_ms = datetime.fromisoformat(summary["startedAtUtc"].replace("Z", "+00:00")).timestamp() * 1000
    slo = summary.get("sloMs") or 10

    events = {}
    for line in (out / "events.tsv").read_text().splitlines()[1:]:
        epoch_ms, version, kind = line.split("\t")
        second = int((int(epoch_ms) - started_ms) // 1000)
        events.setdefault(second, []).append(f"v{version} {kind}")

    rss = []  # (second, MiB)
    gc = {}  # second -> (GC pause ms in that second, gen-2 collections in that second)
    after_mib = None
    previous = None
    lines = (out / "rss.tsv").read_text().splitlines()
    for i, line in enumerate(lines):
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1] == "after":
            after_mib = int(lines[i + 1].split("\t")[1]) / 1024 if i + 1 < len(lines) else None
            break
        if len(parts) >= 2 and parts[1].isdigit():
            second = (int(parts[0]) - started_ms) / 1000
            rss.append((second, int(parts[1]) / 1024))
            if len(parts) >= 4 and parts[2] and parts[3]:
                pause, gen2 = float(parts[2]), float(parts[3])
                if previous is not None:
                    gc[int(second // 1)] = ((pause - previous[0]) * 1000, gen2 - previous[1])
                previous = (pause, gen2)
    in_run = [m for s, m in rss if 0 <= s]
    before = [m for s, m in rss if -3 <= s < 1]
    baseline = before[-1] if before else (in_run[0] if in_run else float("nan"))

    failed = 0
    over = []
    rows = []
    for point in series:
        second = point["second"]
        statuses = {k: v for k, v in point.get("statusCounts", {}).items() if k != "OK"}
        failed += sum(statuses.values())
        p99 = point.get("p99Ms")
        if p99 is not None and p99 > slo:
            over.append(second)
        # the GC reading taken during this second covers the second before it
        pause_ms, gen2 = gc.get(second + 1, (None, None))
        gc_text = "" if pause_ms is None else f"{pause_ms:.1f}" + (f" (gen2 x{gen2:.0f})" if gen2 else "")
        rows.append((second, point["offered"], point["succeeded"], statuses, p99, point.get("maxMs"), gc_text, "; ".join(events.get(second, []))))

    total = sum(p["completed"] for p in series)
    published = sum(len(v) for v in events.values())
    print(f"# Publish scenario: {summary['model']} at {summary.get('offeredRate', 0):.0f} req/s offered, "
          f"{'a version published every few seconds' if swaps else 'no publishing (control run)'}\n")
    print(f"- calls completed: {total}; **failed: {failed}**")
    print(f"- versions published: {published} ({sum(1 for v in events.values() for e in v if 'corrupt' in e)} corrupt)")
    print(f"- 1-s windows with p99 over the {slo:g} ms SLO: {len(over)} of {len(series)}"
          + (f" (seconds {', '.join(map(str, over))})" if over else ""))
    overall = summary.get("latencyMs") or {}
    if overall:
        print(f"- whole run: p50 {overall.get('p50', float('nan')):.2f} ms, p99 {overall.get('p99', float('nan')):.2f} ms, "
              f"p99.9 {overall.get('p999', float('nan')):.2f} ms")
    if in_run:
        print(f"- server resident memory: {baseline:.0f} MiB before, peak {max(in_run):.0f} MiB during, "
              + (f"{after_mib:.0f} MiB after the last version retired" if after_mib is not None else "no reading after"))
    print()
    print("| second | offered | ok | errors | p99 ms | max ms | GC pause ms | published |")
    print("|---:|---:|---:|---|---:|---:|---:|---|")
    for second, offered, ok, statuses, p99, mx, gc_text, event in rows:
        errs = ", ".join(f"{k} {v}" for k, v in statuses.items()) or ""
        p99s = f"{p99:.2f}" if p99 is not None else ""
        mxs = f"{mx:.2f}" if mx is not None else ""
        mark = " **over**" if second in over else ""
        print(f"| {second} | {offered} | {ok} | {errs} | {p99s}{mark} | {mxs} | {gc_text} | {event} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
