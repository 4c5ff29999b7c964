#!/usr/bin/env bash
# How far the two load clients agree (issue #19; docs/benchmarks.md, "Two clients: how far they
# agree"): our generator (loadtest/Serving.LoadTest `run`) and the independent Python client
# (loadtest/python/open_loop.py) measure the same server at the same offered rate. REPS repetitions,
# each running every rate of RATES in turn; per repetition and rate a fresh server on core SERVER_CPU,
# then both clients one after the other on core LOADGEN_CPU with the same rate, duration, warm-up,
# candidate mix and data, in alternating order (repetition 1: ours then Python's, repetition 2:
# Python's then ours, ...), so neither always meets the fresher server. Writes OUT/report.md (per
# rate: median and min–max over the repetitions of each client's p50, p99, OK/s and send lag p99,
# and the ratio Python ÷ ours within each repetition), OUT/results.json and every client's JSON.
#
#   scripts/client-agreement.sh                                             # synthetic features
#   DATA=/path/to/criteo_train_10k.txt scripts/client-agreement.sh          # Criteo rows replayed
#   REPS=1 RATES=100 DURATION=3 scripts/client-agreement.sh                 # smoke run
#
# Time: per repetition and rate ~55 s with the defaults (server start, 2 x (warm-up 2 s + 20 s +
# request building)); 3 repetitions x 3 rates ~9 minutes plus the build.
#
# Settings (environment): MODEL (criteo-deepfm-xl), RATES ("100 200 400" req/s), REPS (3), DURATION
# (20, seconds recorded), WARMUP (2, seconds unrecorded), CANDIDATES (lognormal:165,1.0,1024,1), DATA
# (optional: a Criteo click-log .txt you supply; without it each client synthesises its own
# features), SEED (1), SERVER_CPU (0), LOADGEN_CPU (1), OUT (artifacts/client-agreement). Loads go to
# 127.0.0.1 only and the script stops the servers it started (by PID) on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${DATA:-}
[[ -z "$data" || "$data" == /* ]] || data=$PWD/$data
cd "$root"
# shellcheck source=lib/bench-server.sh
source "$root/scripts/lib/bench-server.sh"
started_at=$(date +%s)
model=${MODEL:-criteo-deepfm-xl}
rates=${RATES:-100 200 400}
reps=${REPS:-3}
duration=${DURATION:-20}
warmup=${WARMUP:-2}
candidates=${CANDIDATES:-lognormal:165,1.0,1024,1}
seed=${SEED:-1}
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
out=${OUT:-$root/artifacts/client-agreement}
build=$root/artifacts/bench-build
python=/usr/bin/python3
[[ -x "$python" ]] || python=python3

log() { printf '[%4ss] %s\n' "$(( $(date +%s) - started_at ))" "$*" >&2; }

[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "REPS must be a positive whole number, not '$reps'" >&2; exit 2; }
[[ "$duration" =~ ^[0-9]+$ && "$warmup" =~ ^[0-9]+$ ]] || { echo "DURATION and WARMUP are whole seconds" >&2; exit 2; }
[[ -f "$root/models/$model/config.json" ]] || { echo "MODEL: no models/$model/config.json" >&2; exit 2; }
[[ -z "$data" || -f "$data" ]] || { echo "DATA=$data: no such file (a Criteo click-log .txt; leave DATA unset to synthesise features)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 2; }
"$python" -c 'import grpc, grpc_tools' 2>/dev/null || { echo "$python needs grpcio and grpc_tools (apt-get install -y python3-grpcio python3-grpc-tools)" >&2; exit 2; }
[[ $(nproc) -ge 2 ]] || echo "warning: fewer than 2 cores; server and clients will share one" >&2
data_args=()
[[ -n "$data" ]] && data_args=(--data "$data")

rm -rf "$out"
mkdir -p "$out/logs" "$out/runs"
record_run_start "$out"
log "model $model; rates $rates; $reps repetitions of ${warmup}+${duration} s; data: ${data:-synthetic}; load average $(cat "$out/loadavg-start.txt")"

log "building (Release, $build)"
bench_build
trap stop_server EXIT

# ours REP RATE: our generator against the running server.
ours() {
  local dir=$out/runs/$1-$2-ours
  taskset -c "$loadgen_cpu" dotnet "$loadgen_dll" run --target "http://127.0.0.1:$grpc_port" --model "$model" \
    --model-config "$root/models/$model/config.json" "${data_args[@]}" --candidates "$candidates" \
    --rate "$2" --duration "${duration}s" --warmup "${warmup}s" --seed "$seed" --quiet --out "$dir" \
    > "$out/logs/$1-$2-ours.txt" 2>&1 || { echo "our generator failed; see $out/logs/$1-$2-ours.txt" >&2; tail -5 "$out/logs/$1-$2-ours.txt" >&2; exit 1; }
}

# python REP RATE: the Python client against the running server.
python_client() {
  taskset -c "$loadgen_cpu" "$python" "$root/loadtest/python/open_loop.py" --target "127.0.0.1:$grpc_port" --model "$model" \
    "${data_args[@]}" --candidates "$candidates" --rate "$2" --duration "$duration" --warmup "$warmup" --seed "$seed" \
    --out "$out/runs/$1-$2-python.json" > /dev/null 2> "$out/logs/$1-$2-python.txt" \
    || { echo "the Python client failed; see $out/logs/$1-$2-python.txt" >&2; tail -5 "$out/logs/$1-$2-python.txt" >&2; exit 1; }
}

for rep in $(seq 1 "$reps"); do
  for rate in $rates; do
    start_server "$out/logs/$rep-$rate-server.txt"
    if (( rep % 2 == 1 )); then order="ours python"; else order="python ours"; fi
    log "repetition $rep, $rate req/s: server pid $server_pid, clients in order: $order; load average $(cut -d' ' -f1-3 /proc/loadavg)"
    for client in $order; do
      if [[ $client == ours ]]; then ours "$rep" "$rate"; else python_client "$rep" "$rate"; fi
    done
    stop_server
  done
done
cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg-end.txt"

"$python" - "$out" "$model" "$rates" "$reps" "$duration" "$warmup" "$candidates" "${data:-synthetic}" <<'EOF'
import json, os, statistics, sys
out, model, rates, reps, duration, warmup, candidates, data = sys.argv[1:]
rates, reps = [int(float(r)) if float(r).is_integer() else float(r) for r in rates.split()], int(reps)

def ours(rep, rate):
    s = json.load(open(f"{out}/runs/{rep}-{rate}-ours/summary.json"))
    return {"p50": s["latencyMs"]["p50"], "p99": s["latencyMs"]["p99"], "okPerSecond": s["achievedRate"],
            "sendLagP99": s["sendLagMs"]["p99"], "offered": s["offered"], "offeredRate": s["offeredRate"], "statusCounts": s["statusCounts"],
            "meanCandidates": s["meanCandidatesPerRequest"]}

def python(rep, rate):
    s = json.load(open(f"{out}/runs/{rep}-{rate}-python.json"))
    return {"p50": s["latencyMs"]["p50"], "p99": s["latencyMs"]["p99"], "okPerSecond": s["okPerSecond"],
            "sendLagP99": s["sendLagMs"]["p99"], "offered": s["offered"], "offeredRate": s["offeredRate"], "statusCounts": s["statusCounts"],
            "meanCandidates": s["meanCandidatesPerRequest"]}

results = {"model": model, "rates": rates, "reps": reps, "durationSeconds": float(duration), "warmupSeconds": float(warmup),
           "candidates": candidates, "data": data,
           "loadavgStart": open(f"{out}/loadavg-start.txt").read().strip(), "loadavgEnd": open(f"{out}/loadavg-end.txt").read().strip(),
           "revision": open(f"{out}/revision.txt").read().strip(), "runs": []}
for rep in range(1, reps + 1):
    for rate in rates:
        results["runs"].append({"rep": rep, "rate": rate, "order": "ours,python" if rep % 2 else "python,ours",
                                "ours": ours(rep, rate), "python": python(rep, rate)})
json.dump(results, open(f"{out}/results.json", "w"), indent=2)

def spread(values, digits):
    fmt = lambda v: f"{v:.{digits}f}"
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"

lines = [f"# Two clients: how far they agree", "",
         f"Model `{model}`, candidates `{candidates}`, data: {data}; each client {warmup} s warm-up + {duration} s recorded, "
         f"server on its own core, clients one after the other on the other core, order alternating by repetition; {reps} repetitions. "
         f"Revision {results['revision']}. Load average (1, 5, 15 min) at the start {results['loadavgStart']}, at the end {results['loadavgEnd']}.", "",
         "Each cell: median over the repetitions (min–max). Offered/s differs between the clients because each draws its own Poisson arrivals. Ratio: Python ÷ ours within each repetition (rep 1, rep 2, ...).", "",
         "| rate (req/s) | client | p50 ms | p99 ms | offered/s | OK/s | send lag p99 ms |", "|---|---|---|---|---|---|---|"]
for rate in rates:
    runs = [r for r in results["runs"] if r["rate"] == rate]
    for client, label in (("ours", "ours (C#)"), ("python", "Python")):
        get = lambda k: [r[client][k] for r in runs]
        lines.append(f"| {rate} | {label} | {spread(get('p50'), 2)} | {spread(get('p99'), 2)} | {spread(get('offeredRate'), 1)} | {spread(get('okPerSecond'), 1)} | {spread(get('sendLagP99'), 2)} |")
lines += ["", "| rate (req/s) | p50 ratio per rep | p99 ratio per rep | OK/s ratio per rep | median p50 / p99 ratio |", "|---|---|---|---|---|"]
for rate in rates:
    runs = [r for r in results["runs"] if r["rate"] == rate]
    ratio = lambda k: [r["python"][k] / r["ours"][k] for r in runs]
    show = lambda values: ", ".join(f"{v:.2f}" for v in values)
    lines.append(f"| {rate} | {show(ratio('p50'))} | {show(ratio('p99'))} | {show(ratio('okPerSecond'))} | "
                 f"{statistics.median(ratio('p50')):.2f} / {statistics.median(ratio('p99')):.2f} |")
lines += ["", "Statuses other than OK (repetition, rate, client: counts):", ""]
others = [f"- {r['rep']}, {r['rate']}, {c}: {r[c]['statusCounts']}" for r in results["runs"] for c in ("ours", "python")
          if set(r[c]["statusCounts"]) - {"OK"}]
lines += others or ["- none"]
lines += ["", "Mean candidates per request of each client's request pool: ours "
          + ", ".join(sorted({str(r['ours']['meanCandidates']) for r in results['runs']}))
          + "; Python " + ", ".join(sorted({str(r['python']['meanCandidates']) for r in results['runs']})) + "."]
open(f"{out}/report.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
log "done: $out/report.md"
