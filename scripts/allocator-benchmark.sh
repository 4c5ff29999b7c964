#!/usr/bin/env bash
# The allocator's measurement (issue 5, docs/allocator.md "Measured"): a step (load doubles for 30 s,
# then returns) and a spike, with the controller on against static configurations run the same way,
# interleaved in one run; about 12 minutes on the 2-core machine.
#
#   DATA=/path/to/criteo_train_10k.txt scripts/allocator-benchmark.sh
#
# Each configuration gets a fresh server pinned to SERVER_CPU (0) with up to 2 CPU replicas x 1 thread,
# the load generator pinned to LOADGEN_CPU (1), 10-candidate requests replaying Criteo rows (DATA),
# open-loop Poisson, SLO_MS (10). Per run and configuration it reports, from the load generator's
# per-second series: the share of 1-s windows within the SLO (p99 <= SLO and at most 1% of the
# window's requests refused or late) and the goodput (OK responses in those windows, per second of
# the run). Static configurations run with Serving:Allocator:Enabled=false and fixed knobs; the best
# of them "in hindsight" is the one with the highest goodput in each scenario.
#
# Settings (environment): DATA (required: a Criteo click-log sample you supply, .txt), SLO_MS (10), BASE_RATE (2000 req/s), STEP_RATE (2 x base),
# SPIKE_RATE (3 x base), CPU_REPLICAS (2: loaded replicas), SERVER_CPU, LOADGEN_CPU, OUT (artifacts/allocator-bench),
# ONLY (a regular expression: run only the configurations whose name matches, e.g. ONLY=controller),
# EXTRA_CONFIG ("name|KEY=VALUE ...": one more configuration).
# Loopback only; every run is bounded in time; the script stops the servers it started on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# DATA (required) is a file you supply; a relative path is taken from the directory you run this in.
data=${DATA:-}
[[ -z "$data" || "$data" == /* ]] || data=$PWD/$data
cd "$root"
# shellcheck source=lib/bench-server.sh
source "$root/scripts/lib/bench-server.sh"
out=${OUT:-$root/artifacts/allocator-bench}
build=$root/artifacts/bench-build
slo=${SLO_MS:-10}
base=${BASE_RATE:-2000}
step_rate=${STEP_RATE:-$(( base * 2 ))}
spike_rate=${SPIKE_RATE:-$(( base * 3 ))}
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}

data_expected="a Criteo click-log sample (tab-separated, no header: label + 13 integer + 26 categorical columns, e.g. the first 10,000 lines of the Criteo DAC train.txt), e.g. DATA=/path/to/criteo_train_10k.txt"
[[ -n "$data" ]] || { echo "DATA must name $data_expected" >&2; exit 2; }
[[ -f "$data" ]] || { echo "DATA=$data: no such file; DATA must name $data_expected" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is required" >&2; exit 2; }
rm -rf "$out"; mkdir -p "$out"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

bench_build
trap stop_server EXIT

# name | extra server settings (space-separated KEY=VALUE)
configs=(
  "controller|Serving__Allocator__Enabled=true Serving__Allocator__Interval=00:00:01"
  "static-64rows-0.5ms|Serving__Allocator__Enabled=false Serving__Batching__TargetBatchRows=64 Serving__Batching__MaxQueueDelay=00:00:00.0005"
  "static-256rows-2ms|Serving__Allocator__Enabled=false Serving__Batching__TargetBatchRows=256 Serving__Batching__MaxQueueDelay=00:00:00.002"
  "static-1024rows-4ms|Serving__Allocator__Enabled=false Serving__Batching__TargetBatchRows=1024 Serving__Batching__MaxQueueDelay=00:00:00.004"
)

# EXTRA_CONFIG="name|KEY=VALUE ..." adds one more configuration (an experiment).
[[ -n "${EXTRA_CONFIG:-}" ]] && configs+=("$EXTRA_CONFIG")

run_load() { # dir schedule-args...
  local dir=$1; shift
  taskset -c "$loadgen_cpu" dotnet "$loadgen_dll" run --target "http://127.0.0.1:$grpc_port" \
    --model-config models/criteo-deepfm/config.json --data "$data" --candidates fixed:10 --slo-ms "$slo" \
    --warmup 5s --drain-timeout 2s --max-in-flight 5000 --quiet --out "$dir" "$@" > "$dir.log" 2>&1 || true
}

# windows within SLO and goodput from a run's per-second series
score() { # dir
  jq --argjson slo "$slo" '
    (length) as $n
    | map(. as $w | ($w.completed // 0) as $c
          | ((($w.statusCounts // {}) | to_entries | map(select(.key != "OK") | .value) | add) // 0) as $bad
          | {ok: ($w.succeeded // 0),
             within: ($c > 0 and ($w.p99Ms // 1e9) <= $slo and $bad <= 0.01 * ($c + ($w.dropped // 0)))})
    | {windows: $n, withinShare: ((map(select(.within)) | length) / $n),
       goodput: ((map(select(.within) | .ok) | add // 0) / $n), okPerSecond: ((map(.ok) | add) / $n),
       windowGoodput: map(if .within then .ok else 0 end)}' "$1/timeseries.json"
}

for entry in "${configs[@]}"; do
  name=${entry%%|*}; settings=${entry#*|}
  [[ -z "${ONLY:-}" || $name =~ ${ONLY:-} ]] || continue
  for scenario in step spike; do
    log "$name: $scenario"
    # shellcheck disable=SC2086
    start_server "$out/server-$name.log" Serving__Devices__Cpu__Replicas="${CPU_REPLICAS:-2}" $settings
    dir=$out/$name-$scenario
    if [[ $scenario == step ]]; then
      run_load "$dir" --schedule step --rate "$base" --peak-rate "$step_rate" --change-at 20s --change-for 30s --duration 70s
    else
      run_load "$dir" --schedule spike --rate "$base" --peak-rate "$spike_rate" --change-at 20s --change-for 5s --duration 50s
    fi
    curl -s "http://127.0.0.1:$admin_port/v1/allocator" > "$dir/allocator.json" 2>/dev/null || true
    stop_server
    if [[ -f "$dir/timeseries.json" ]]; then
      score "$dir" | jq -c --arg name "$name" --arg scenario "$scenario" '. + {config: $name, scenario: $scenario}' >> "$out/scores.jsonl"
    else
      log "$name $scenario: no timeseries (see $dir.log)"
    fi
  done
done

jq -s --argjson slo "$slo" '
  group_by(.scenario) | map(
    # The best static configuration of each 1-s window, chosen in hindsight window by window: no
    # controller that switches between these settings can do better, and the best static keeps
    # its windows already when it serves all that is offered.
    (map(select(.config != "controller") | .windowGoodput) | transpose | map(map(. // 0) | max)) as $bestPerWindow
    | map(del(.windowGoodput))
    | {
        scenario: .[0].scenario,
        rows: .,
        bestStatic: (map(select(.config != "controller")) | max_by(.goodput)),
        controller: (map(select(.config == "controller")) | .[0]),
        oracleGoodput: (($bestPerWindow | add // 0) / ([$bestPerWindow | length, 1] | max))
      }
    | . + {goodputRatio: (if (.bestStatic.goodput // 0) > 0 and .controller != null then .controller.goodput / .bestStatic.goodput else null end),
           oracleRatio: (if (.bestStatic.goodput // 0) > 0 then .oracleGoodput / .bestStatic.goodput else null end)})' \
  "$out/scores.jsonl" > "$out/results.json"

{
  echo "SLO $slo ms; base $base req/s, step to $step_rate req/s (20-50 s of 70 s), spike to $spike_rate req/s (at 20 s, decaying over 5 s, of 50 s); 10-candidate requests; load average at end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| scenario | configuration | 1-s windows within SLO | goodput req/s | OK req/s |"
  echo "|---|---|---:|---:|---:|"
  jq -r '.[] | .rows[] | "| \(.scenario) | \(.config) | \(.withinShare * 1000 | round / 10)% | \(.goodput | round) | \(.okPerSecond | round) |"' "$out/results.json"
  echo
  jq -r '.[] | select(.controller != null and .goodputRatio != null) | "\(.scenario): controller \(.controller.withinShare * 1000 | round / 10)% of windows within SLO, goodput \(.goodputRatio * 1000 | round / 1000)x the best static (\(.bestStatic.config)); the best static per window, chosen in hindsight, would be \(.oracleRatio * 1000 | round / 1000)x"' "$out/results.json"
} | tee "$out/table.md"
