#!/usr/bin/env bash
# The request CPU cost of the fleet simulator (simulator/Serving.Fleet/Devices/RequestCpuCost.cs,
# docs/fleet.md "What is simulated"): the server's CPU per call outside ONNX Runtime, measured as a
# function of the candidate count, and a least-squares fit of fixed µs + µs per candidate.
#   - the real server pinned to core SERVER_CPU (0) with its defaults (as scripts/fleet-validate.sh
#     runs it), the load generator (`run`, open-loop Poisson, criteo-deepfm) on core LOADGEN_CPU (1);
#   - per candidate count (CANDIDATES, each at its rate in RATES, about a third of one core): a fresh
#     server, its idle CPU over IDLE_SECONDS, WARMUP_SECONDS of unmeasured load, then SECONDS
#     measured; over the measured run: the server's CPU (/proc/PID/stat user + system, so threads that
#     exit count too), its replica threads' CPU (serving-cpu-*, per-thread schedstat: ONNX Runtime and
#     the tensor copies around it), and the deltas of its /metrics (calls by status,
#     serving_compute_duration_seconds_sum: ORT wall time, batch rows);
#   - CPU per call outside ORT = (CPU − idle CPU × window − ORT) ÷ calls, with ORT taken three ways:
#     `curve` (what the simulator charges for the batches the server ran: data/criteo-deepfm.cpu.csv at
#     the run's mean batch rows × batches; the one RequestCpuCost uses, so that the simulated request
#     and batch costs add up to the server's CPU), `threads` (the replica threads' CPU) and `compute`
#     (the compute histogram's sum: wall time, which counts twice when the two replicas overlap);
#     least squares of a + b × candidates over the Rank runs, per repetition and over all;
#   - with REFUSAL=1 (default), one more run per count in REFUSAL_CANDIDATES at REFUSAL_RATE with the
#     admission gate fixed at one call in flight (Serving__MaxInFlightRequests=1,
#     Serving__MinInFlightRequests=1): many calls are refused at the gate, and the CPU per refused
#     call is what is left after the admitted ones are charged the fit (a rough figure: it is a
#     difference of two figures of similar size);
# REPS repetitions; then OUT/runs.jsonl (one line per run) and OUT/fit.md (the table and the fits).
#   DATA=/path/to/criteo_train_10k.txt scripts/request-cpu-fit.sh      # ~6 minutes with the defaults
# Settings (environment): CANDIDATES ("10 100 400 1000"), RATES ("1800 900 450 180"), REPS (2),
# RUN_SECONDS (15), WARMUP_SECONDS (5), IDLE_SECONDS (3), REFUSAL (1), REFUSAL_CANDIDATES ("10 165"),
# REFUSAL_RATE (3000), DATA (optional: a Criteo .txt you supply, read at run time; default synthetic
# rows), SERVER_CPU (0), LOADGEN_CPU (1), OUT (artifacts/request-cpu-fit).
# Loopback only; every run is bounded in time; the script stops the server it started (by PID) on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
data=${DATA:-}
[[ -z "$data" || "$data" == /* ]] || data=$PWD/$data
cd "$root"
candidates=(${CANDIDATES:-10 100 400 1000})
rates=(${RATES:-1800 900 450 180})
reps=${REPS:-2}
seconds=${RUN_SECONDS:-15}
warmup=${WARMUP_SECONDS:-5}
idle=${IDLE_SECONDS:-3}
refusal=${REFUSAL:-1}
refusal_candidates=(${REFUSAL_CANDIDATES:-10 165})
refusal_rate=${REFUSAL_RATE:-3000}
out=${OUT:-artifacts/request-cpu-fit}
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
build=$root/artifacts/fleet-validate-build
[[ ${#candidates[@]} -eq ${#rates[@]} ]] || { echo "CANDIDATES and RATES need as many entries" >&2; exit 2; }
[[ -z "$data" || -f "$data" ]] || { echo "DATA=$data: no such file" >&2; exit 2; }
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 2; }
mkdir -p "$out"
: > "$out/runs.jsonl"
# shellcheck source=lib/bench-server.sh
source "$root/scripts/lib/bench-server.sh"
trap stop_server EXIT
bench_build
data_args=()
[[ -n "$data" ]] && data_args=(--data "$data")

# snapshot FILE: the server's CPU (stat ticks; schedstat ns of all threads and of the replica threads) and /metrics.
snapshot() {
  python3 - "$server_pid" "$1" "http://127.0.0.1:$admin_port/metrics" <<'PY'
import json, os, re, sys, time, urllib.request
pid, path, url = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.monotonic()
cores = {}
for line in open("/proc/stat"):
    if line.startswith("cpu") and line[3].isdigit():
        v = [int(x) for x in line.split()[1:]]
        cores[line.split()[0]] = [sum(v) - v[3] - v[4], sum(v)]  # busy (all but idle and iowait), total
fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
replica_ns = all_ns = 0
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        ns = int(open(f"/proc/{pid}/task/{tid}/schedstat").read().split()[0])
        name = open(f"/proc/{pid}/task/{tid}/comm").read().strip()
    except OSError:
        continue
    all_ns += ns
    if name.startswith("serving-cpu-"):
        replica_ns += ns
metrics = {}
for line in urllib.request.urlopen(url, timeout=5).read().decode().splitlines():
    m = re.match(r'(serving_requests_total|serving_compute_duration_seconds_sum|serving_compute_duration_seconds_count|serving_batch_rows_sum|serving_batch_rows_count)\{(.*)\} (\S+)$', line)
    if not m or 'model="criteo-deepfm"' not in m.group(2):
        continue
    key = m.group(1)
    if key == "serving_requests_total":
        key += ":" + re.search(r'status="([^"]*)"', m.group(2)).group(1)
    metrics[key] = metrics.get(key, 0.0) + float(m.group(3))
json.dump({"t": t, "ticks": ticks, "hz": os.sysconf("SC_CLK_TCK"), "all_ns": all_ns, "replica_ns": replica_ns, "cores": cores, "metrics": metrics}, open(path, "w"))
PY
}

# measure LABEL CANDIDATES RATE REP [KEY=VALUE ...]: one fresh server, one measured run, one line in runs.jsonl.
measure() {
  local label=$1 count=$2 rate=$3 rep=$4; shift 4
  local dir=$out/$label-$count-rep$rep
  mkdir -p "$dir"
  start_server "$dir/server.log" "$@"
  snapshot "$dir/idle-before.json"; sleep "$idle"; snapshot "$dir/idle-after.json"
  local load=(taskset -c "$loadgen_cpu" dotnet "$loadgen_dll" run --target "http://127.0.0.1:$grpc_port"
    --model-config models/criteo-deepfm/config.json "${data_args[@]}" --candidates "fixed:$count" --slo-ms 10
    --schedule steady --rate "$rate" --warmup 0s --drain-timeout 2s --max-in-flight 5000 --quiet)
  "${load[@]}" --duration "${warmup}s" --seed 2 --out "$dir/warmup" > "$dir/warmup.log" 2>&1 || true
  snapshot "$dir/before.json"
  "${load[@]}" --duration "${seconds}s" --seed 1 --out "$dir/run" > "$dir/run.log" 2>&1 || true
  snapshot "$dir/after.json"
  stop_server
  SERVER_CPU=$server_cpu python3 - "$dir" "$label" "$count" "$rate" "$rep" "$(cut -d' ' -f1 /proc/loadavg)" >> "$out/runs.jsonl" <<'PY'
import json, os, sys
d, label, count, rate, rep, load = sys.argv[1:]
j = lambda n: json.load(open(f"{d}/{n}.json"))
i0, i1, b, a = j("idle-before"), j("idle-after"), j("before"), j("after")
idle_per_s = (i1["ticks"] - i0["ticks"]) / i0["hz"] / (i1["t"] - i0["t"])
window = a["t"] - b["t"]
delta = lambda k: a["metrics"].get(k, 0.0) - b["metrics"].get(k, 0.0)
core = f"cpu{os.environ['SERVER_CPU']}"
core_busy = (a["cores"][core][0] - b["cores"][core][0]) / b["hz"]
statuses = {k.split(":", 1)[1]: delta(k) for k in a["metrics"] if k.startswith("serving_requests_total:")}
print(json.dumps({
    "label": label, "candidates": int(count), "rate": float(rate), "rep": int(rep), "loadavg": float(load),
    "window_s": window, "server_core_busy_s": core_busy, "cpu_s": (a["ticks"] - b["ticks"]) / b["hz"], "idle_cpu_per_s": idle_per_s,
    "schedstat_all_s": (a["all_ns"] - b["all_ns"]) / 1e9, "replica_threads_s": (a["replica_ns"] - b["replica_ns"]) / 1e9,
    "compute_s": delta("serving_compute_duration_seconds_sum"), "batches": delta("serving_compute_duration_seconds_count"),
    "batch_rows": delta("serving_batch_rows_sum"), "calls": sum(statuses.values()), "statuses": statuses,
}))
PY
  tail -1 "$out/runs.jsonl" >&2
}

for rep in $(seq 1 "$reps"); do
  for i in "${!candidates[@]}"; do
    measure rank "${candidates[$i]}" "${rates[$i]}" "$rep"
  done
  if [[ "$refusal" == 1 ]]; then
    for count in "${refusal_candidates[@]}"; do
      measure refusal "$count" "$refusal_rate" "$rep" Serving__MaxInFlightRequests=1 Serving__MinInFlightRequests=1
    done
  fi
done

python3 - "$out/runs.jsonl" simulator/Serving.Fleet/data/criteo-deepfm.cpu.csv > "$out/fit.md" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
curve = [tuple(float(x) for x in l.split(",")) for l in open(sys.argv[2]) if l[0].isdigit()]

def raw_ms(rows):
    """The simulator's batch compute (data/criteo-deepfm.cpu.csv), linear between sizes."""
    for (r0, m0), (r1, m1) in zip(curve, curve[1:]):
        if rows <= r1:
            return m0 + (m1 - m0) * (max(rows, r0) - r0) / (r1 - r0)
    return curve[-1][1] * rows / curve[-1][0]

WAYS = {
    "curve": "ORT = the simulator's own batch cost (data/criteo-deepfm.cpu.csv at the run's mean batch rows, × batches), so that the simulator's request cost + batch cost add up to the server's CPU",
    "threads": "ORT = the replica threads' CPU (serving-cpu-*, schedstat: ONNX Runtime and the tensor copies around it)",
    "compute": "ORT = serving_compute_duration_seconds_sum (wall time; two replicas on one core overlap, so it counts time twice)",
}

def ort_s(r, way):
    if way == "threads":
        return r["replica_threads_s"]
    if way == "compute":
        return r["compute_s"]
    return r["batches"] * raw_ms(r["batch_rows"] / max(r["batches"], 1)) / 1000

def outside(r, way):
    return r["cpu_s"] - r["idle_cpu_per_s"] * r["window_s"] - ort_s(r, way)

def refused(r):
    return r["statuses"].get("RESOURCE_EXHAUSTED", 0)

def lstsq(rows, ys):
    """Least squares by the normal equations (a handful of unknowns)."""
    n = len(rows[0])
    m = [[sum(r[i] * r[j] for r in rows) for j in range(n)] + [sum(r[i] * y for r, y in zip(rows, ys))] for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda k: abs(m[k][c]))
        m[c], m[p] = m[p], m[c]
        for k in range(n):
            if k != c:
                f = m[k][c] / m[c][c]
                m[k] = [x - f * y for x, y in zip(m[k], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]

def fit(rs, way):
    """Least squares over the Rank runs, per call: outside-ORT µs = admitted share × (a + b n) + refused share × a/4
    (the few calls the gate refuses there are charged the old assumption; they are 0.4–11% of the calls)."""
    rows, ys = [], []
    for r in rs:
        c = r["calls"]; fr = refused(r) / c; fa = 1 - fr
        rows.append([fa + fr / 4, fa * r["candidates"]]); ys.append(outside(r, way) / c * 1e6)
    return lstsq(rows, ys)

def refusal_us(r, way, a, b):
    """A refusal run's CPU per refused call: what is left after the admitted calls are charged the fit."""
    refusals = refused(r)
    return (outside(r, way) * 1e6 - (r["calls"] - refusals) * (a + b * r["candidates"])) / refusals

print("| run | candidates | offered/s | calls/s | refused | load avg | server core: server / others | CPU µs/call (less idle) | ORT µs/call: curve / threads / wall | outside ORT µs/call: curve / threads / wall | rows/batch |")
print("|---|---:|---:|---:|---:|---:|---|---:|---|---|---:|")
for r in runs:
    c, w = r["calls"], r["window_s"]
    cpu = (r["cpu_s"] - r["idle_cpu_per_s"] * w) / c * 1e6
    per = lambda f: " / ".join(f"{f(r, way) / c * 1e6:.0f}" for way in WAYS)
    print(f"| {r['label']} {r['rep']} | {r['candidates']} | {r['rate']:.0f} | {c / w:.0f} | {refused(r) / c:.1%} | {r['loadavg']:.2f} | "
          f"{r['cpu_s'] / w:.0%} / {max(r['server_core_busy_s'] - r['cpu_s'], 0) / w:.0%} | {cpu:.0f} | {per(ort_s)} | {per(outside)} | "
          f"{r['batch_rows'] / max(r['batches'], 1):.0f} |")
print()
reps = sorted({r["rep"] for r in runs})
rank = [r for r in runs if r["label"] == "rank"]
for way, what in WAYS.items():
    print(f"Fit, {what}: a + b × candidates (µs)")
    print()
    fits = {}
    for rep in reps:
        rs = [r for r in rank if r["rep"] == rep]
        if len({r["candidates"] for r in rs}) >= 2:
            fits[rep] = fit(rs, way)
            print(f"- rep {rep}: {fits[rep][0]:.1f} µs + {fits[rep][1]:.3f} µs per candidate")
    if len({r["candidates"] for r in rank}) < 2:
        continue
    a, b = fit(rank, way)
    fa = [f[0] for f in fits.values()]; fb = [f[1] for f in fits.values()]
    print(f"- all runs: **{a:.1f} µs + {b:.3f} µs per candidate** (per-rep spread: fixed {min(fa):.1f}–{max(fa):.1f} µs, per candidate {min(fb):.3f}–{max(fb):.3f} µs)")
    for r in (r for r in runs if r["label"] == "refusal" and refused(r) > 0):
        u = refusal_us(r, way, *fits.get(r["rep"], (a, b)))
        print(f"- refusal run, {r['candidates']} candidates, rep {r['rep']}: {refused(r) / r['calls']:.0%} of the calls refused; "
              f"{u:.0f} µs per refused call after the admitted ones are charged that rep's fit ({u / a:.2f} × the fixed part)")
    print()
PY
cat "$out/fit.md"
