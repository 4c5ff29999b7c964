#!/usr/bin/env bash
# The benchmark run behind docs/benchmarks.md: in one run (14-19 minutes on a 2-core machine, ~1 more on a cold build)
#   1. builds the server, the load generator and benchmarks/Serving.Benchmarks (Release, into
#      artifacts/bench-build/ so it never races another build of the tree);
#   2. hot path: BenchmarkDotNet (parse, feature assembly, respond, client serialize; memory diagnoser), core 0;
#   3. raw ONNX Runtime: in-process tight loop on core 0, batch 1..1024, the limit in rows/s (64
#      different batches of the Criteo rows, one loaded untimed before each run);
#   4. the server on core 0 (1 CPU replica x 1 thread) in each batching mode (adaptive, static,
#      none), the load generator on core 1: goodput at SLO (max-goodput, p99 <= 10 ms, < 0.1%
#      errors, steps of STEP or longer, to offer at least MIN_STEP_REQUESTS requests) for the
#      Criteo mix, 10-candidate and 100-candidate requests, then a short probe at the goodput rate
#      that records the server's timing, CPU and /metrics (where the time goes); in adaptive mode
#      also 1,024-candidate requests alone, and the Criteo mix offered at THROUGHPUT_FRACTION of raw
#      ONNX Runtime's rows/s (throughput with the SLO ignored);
#   5. overload (adaptive, OVERLOAD_WORKLOAD requests, default the 100-candidate ones, at OVERLOAD x
#      their goodput for 15 s; at 10 candidates 2.5x the goodput is more than one generator core can
#      send, and `large` (1,000 candidates, goodput searched in adaptive mode only) shifts the work to
#      the server but its p99 alone is near the SLO on this machine): accepted p99,
#      rejection p99, share rejected; then 3 s at a quarter of the goodput (does it recover?); then
#      the same overload as a load-generator step run on a fresh server, for its plots;
#   5b. batching's ceiling on this machine: 10-candidate requests offered at SATURATION x the best
#      10-candidate goodput of the three modes (at most SATURATION_MAX), 8 s on a fresh server per mode: the most OK/s each
#      mode can answer, SLO ignored. Goodput cannot exceed it, so best ÷ none bounds what batching can
#      gain here (the adaptive ÷ none target);
#   6. writes artifacts/bench/{results.json,table.md,plots/*.png} and prints the table.
#
#   DATA=/path/to/criteo_train_10k.txt scripts/benchmark.sh                 # the full run
#   DATA=/path/to/criteo_train_10k.txt SKIP_MICRO=1 scripts/benchmark.sh    # without BenchmarkDotNet (about 40 s less)
#
# Settings (environment): DATA (required: a Criteo click-log sample you supply, .txt, read at run time),
# STEP (max-goodput step, default 5s), PRECISION (0.1), SLO_MS (10), OVERLOAD (2.5), THROUGHPUT_FRACTION (0.1),
# SATURATION (1.3), SATURATION_MAX (8500 req/s),
# CRITEO_START / SMALL_START / MEDIUM_START / LARGE_START (first offered rate of each search, req/s),
# MIN_STEP_REQUESTS (1000), OVERLOAD_WORKLOAD (medium, small or large), SERVER_CPU (0),
# LOADGEN_CPU (1), OUT (artifacts/bench), ALLOCATOR (false: knobs stay as configured).
# Every server and load runs on 127.0.0.1 only and is bounded in time; the script stops the servers
# it started (by PID) on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# DATA (required) is a file you supply; a relative path is taken from the directory you run this in.
data=${DATA:-}
[[ -z "$data" || "$data" == /* ]] || data=$PWD/$data
cd "$root"
# shellcheck source=lib/bench-server.sh
source "$root/scripts/lib/bench-server.sh"
started_at=$(date +%s)
out=${OUT:-$root/artifacts/bench}
build=$root/artifacts/bench-build
step=${STEP:-5s}
precision=${PRECISION:-0.1}
slo=${SLO_MS:-10}
overload_factor=${OVERLOAD:-2.5}
throughput_fraction=${THROUGHPUT_FRACTION:-0.1}
saturation=${SATURATION:-1.3}
saturation_max=${SATURATION_MAX:-8500}
criteo_start=${CRITEO_START:-40}
small_start=${SMALL_START:-800}
medium_start=${MEDIUM_START:-400}
large_start=${LARGE_START:-50}
min_step_requests=${MIN_STEP_REQUESTS:-1000}
overload_workload=${OVERLOAD_WORKLOAD:-medium}
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
allocator=${ALLOCATOR:-false}
model_config=$root/models/criteo-deepfm/config.json

log() { printf '[%4ss] %s\n' "$(( $(date +%s) - started_at ))" "$*" >&2; }

data_expected="a Criteo click-log sample (tab-separated, no header: label + 13 integer + 26 categorical columns, e.g. the first 10,000 lines of the Criteo DAC train.txt), e.g. DATA=/path/to/criteo_train_10k.txt"
[[ -n "$data" ]] || { echo "DATA must name $data_expected" >&2; exit 2; }
[[ -f "$data" ]] || { echo "DATA=$data: no such file; DATA must name $data_expected" >&2; exit 2; }
[[ $(nproc) -ge 2 ]] || echo "warning: fewer than 2 cores; server and load generator will share one" >&2
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is required" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"/{goodput,probe,plots,logs}
record_run_start "$out"
ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 >= 20 { printf "%s(%s%%) ", $2, $1 }' > "$out/busy-start.txt"
log "load average at start: $(cat "$out/loadavg-start.txt"); busy: $(cat "$out/busy-start.txt")"

# ---- 1. build ---------------------------------------------------------------------------------
log "building (Release, $build)"
bench_build
export BENCH_DOTNET_SDK=$(dotnet --version)

# ---- 2. hot path ------------------------------------------------------------------------------
if [[ -z "${SKIP_MICRO:-}" ]]; then
  log "hot path: BenchmarkDotNet on core $server_cpu"
  taskset -c "$server_cpu" dotnet "$bench_dll" --filter '*HotPathBenchmarks*' --artifacts "$out/micro" \
    > "$out/logs/micro.log" 2>&1 || { tail -30 "$out/logs/micro.log" >&2; exit 1; }
  sed -n '/^| Method/,/^$/p' "$out/logs/micro.log" >&2
fi

# ---- 3. raw ONNX Runtime ----------------------------------------------------------------------
log "raw ONNX Runtime on core $server_cpu"
taskset -c "$server_cpu" dotnet "$bench_dll" raw-ort --config "$model_config" --data "$data" --seconds 1 --out "$out/raw-ort.json" >&2

# ---- 4./5. the server in each mode ------------------------------------------------------------
trap stop_server EXIT

start_mode_server() { # mode: a fresh server in that batching mode, 1 replica
  start_server "$out/logs/server-$1.log" Serving__Batching__Mode="$1" Serving__Devices__Cpu__Replicas=1 Serving__Allocator__Enabled="$allocator"
}

loadgen() {
  taskset -c "$loadgen_cpu" dotnet "$loadgen_dll" "$@"
}

probe() {
  taskset -c "$loadgen_cpu" dotnet "$bench_dll" probe --config "$model_config" --data "$data" \
    --target "http://127.0.0.1:$grpc_port" --metrics "http://127.0.0.1:$admin_port/metrics" --server-pid "$server_pid" "$@"
}

for mode in adaptive static none; do
  log "server: $mode batching, core $server_cpu, 1 replica x 1 thread"
  start_mode_server "$mode"
  workloads="criteo small medium"
  # The overload's own size, when it is not one of the three, is searched in adaptive mode only.
  [[ $mode == adaptive && " $workloads " != *" $overload_workload "* ]] && workloads+=" $overload_workload"
  for workload in $workloads; do
    case $workload in
      criteo) candidates=lognormal:165,1.0,1024,1; probe_candidates=lognormal:165,1.0,1024; start=$criteo_start ;;
      small) candidates=fixed:10; probe_candidates=fixed:10; start=$small_start ;;
      medium) candidates=fixed:100; probe_candidates=fixed:100; start=$medium_start ;;
      large) candidates=fixed:1000; probe_candidates=fixed:1000; start=$large_start ;;
      *) echo "unknown OVERLOAD_WORKLOAD: $workload (small, medium or large)" >&2; exit 2 ;;
    esac
    dir=$out/goodput/$mode-$workload
    log "max-goodput: $mode, $workload (start $start req/s, steps of $step)"
    loadgen max-goodput --target "http://127.0.0.1:$grpc_port" --model-config "$model_config" \
      --data "$data" --candidates "$candidates" --slo-ms "$slo" \
      --start-rate "$start" --step-duration "$step" --min-step-requests "$min_step_requests" \
      --cooldown 1s --warmup 2s --precision "$precision" \
      --max-steps 9 --drain-timeout 2s --out "$dir" --quiet > "$out/logs/goodput-$mode-$workload.log" 2>&1 \
      || { tail -20 "$out/logs/goodput-$mode-$workload.log" >&2; exit 1; }
    grep -E '^goodput|^no offered' "$out/logs/goodput-$mode-$workload.log" >&2 || true
    cp "$dir/goodput.png" "$out/plots/loadgen-goodput-$mode-$workload.png"
    rate=$(jq -r '.goodputRate // empty' "$dir/goodput.json")
    probe_rate=${rate:-$(jq -r '[.steps[].offeredRate] | min' "$dir/goodput.json")}
    if [[ -n "$rate" ]]; then what="the goodput rate"; else what="the lowest rate tried (none passed)"; fi
    log "probe at $what ($probe_rate req/s): server timing, CPU and /metrics"
    probe --label "$mode-$workload" --candidates "$probe_candidates" --rate "$probe_rate" --duration 4 --warmup 1 \
      --out "$out/probe/$mode-$workload.json" >&2
    if [[ $mode == adaptive && $workload == criteo ]]; then
      # The Criteo mix's p99 is set by its largest requests (about 1% sit at the 1,024 cap): one alone.
      log "probe: 1,024-candidate requests alone (5 req/s)"
      probe --label adaptive-largest --candidates fixed:1024 --rate 5 --duration 4 --warmup 1 \
        --out "$out/probe/adaptive-largest.json" >&2
      # Throughput regardless of the SLO: offer THROUGHPUT_FRACTION of raw ONNX Runtime's rows/s.
      sat=$(jq --argjson f "$throughput_fraction" '.bestRowsPerSecond * $f / 165 | floor' "$out/raw-ort.json")
      log "probe: Criteo mix at $sat req/s (${throughput_fraction} x raw ONNX Runtime rows/s): throughput and CPU breakdown"
      probe --label adaptive-criteo-throughput --candidates "$probe_candidates" --rate "$sat" --duration 4 --warmup 1 \
        --out "$out/probe/adaptive-criteo-throughput.json" >&2
    fi
    if [[ -n "$rate" ]]; then
      if [[ $mode == adaptive && $workload == "$overload_workload" ]]; then
        over=$(jq -n --argjson r "$rate" --argjson f "$overload_factor" '$r * $f')
        calm=$(jq -n --argjson r "$rate" '$r / 4')
        log "overload: $over req/s (${overload_factor}x the adaptive goodput) for 15 s, then $calm req/s for 3 s (recovery)"
        probe --label overload --candidates "$candidates" --rate "$over" --duration 15 --warmup 0 --max-in-flight 5000 \
          --out "$out/overload.json" >&2
        probe --label after-overload --candidates "$candidates" --rate "$calm" --duration 3 --warmup 0 \
          --out "$out/after-overload.json" >&2
        log "overload as a load-generator step run on a fresh server (plots): $calm -> $over -> $calm req/s"
        stop_server
        start_mode_server "$mode"
        loadgen run --target "http://127.0.0.1:$grpc_port" --model-config "$model_config" --data "$data" \
          --candidates "$candidates" --slo-ms "$slo" --schedule step --rate "$calm" --peak-rate "$over" \
          --change-at 5s --change-for 10s --duration 20s --drain-timeout 2s --max-in-flight 5000 \
          --out "$out/overload-run" --quiet > "$out/logs/overload-run.log" 2>&1 || true
        cp "$out/overload-run/latency.png" "$out/plots/loadgen-overload-latency.png" 2>/dev/null || true
        cp "$out/overload-run/throughput.png" "$out/plots/loadgen-overload-throughput.png" 2>/dev/null || true
      fi
    fi
  done
  stop_server
done

# ---- 5b. batching's ceiling: every mode at one rate above the best 10-candidate goodput -----------
best_small=$(jq -s '[.[].achievedRate // 0] | max' "$out"/goodput/*-small/goodput.json)
# Capped below the load generator's own limit for 10-candidate requests (~9,000 req/s on one core).
saturation_rate=$(jq -n --argjson r "$best_small" --argjson f "$saturation" --argjson max "$saturation_max" \
  'if $r > 0 then [$r * $f, $max] | min | floor else $max end')
for mode in adaptive static none; do
  log "saturation: $mode, 10-candidate requests at $saturation_rate req/s (${saturation}x the best 10-candidate goodput), 8 s"
  start_mode_server "$mode"
  probe --label "$mode-small-saturation" --candidates fixed:10 --rate "$saturation_rate" --duration 8 --warmup 1 \
    --max-in-flight 5000 --out "$out/probe/$mode-small-saturation.json" >&2
  stop_server
done

# ---- 6. report --------------------------------------------------------------------------------
log "report"
cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg-end.txt"
dotnet "$bench_dll" report --dir "$out"
log "done in $(( $(date +%s) - started_at )) s; results in $out (results.json, table.md, plots/)"
