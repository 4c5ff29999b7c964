#!/usr/bin/env bash
# The headline figures (docs/benchmarks.md, "Headline figures (interleaved repetitions)"): REPS
# repetitions, each running every configuration once in the same order (A, B, C, A, B, C, ...), so a
# slow period of the machine hits every configuration rather than one; each figure is the median
# over the repetitions with its spread (min–max), every ratio taken within a repetition
# (`Serving.Benchmarks headline` does the arithmetic). Per repetition and model:
#   A. raw ONNX Runtime rows/s (in-process on core SERVER_CPU) and parse + assembly µs per request;
#   B. the server in adaptive mode (core SERVER_CPU, 1 CPU replica x 1 thread, the transport floor
#      switched on), the load generator on core LOADGEN_CPU: goodput at SLO (max-goodput, p99 <= the model's SLO)
#      for the Criteo mix and for 10-candidate requests; then at half of the Criteo-mix goodput a probe
#      of Rank and one of the transport floor with the same request bytes (server CPU per call, ONNX
#      Runtime time, batch rows, p50/p99); then the transport floor's saturation with Criteo-mix and
#      with 10-candidate requests (offered FLOOR_CRITEO_RATE / FLOOR_SMALL_RATE);
#   C. the server in `none` mode: 10-candidate goodput;
#   D. the server in `static` mode, once per STATIC_ROWS target batch size: 10-candidate goodput (the
#      best of them is "best static").
# Then writes OUT/headline.json and OUT/headline.md and prints the table.
#
#   scripts/headline.sh                                          # synthetic features, criteo-deepfm, 3 repetitions
#   DATA=/path/to/criteo_train_10k.txt scripts/headline.sh       # Criteo rows replayed
#   MODELS="criteo-deepfm criteo-deepfm-xl" DATA=... scripts/headline.sh
#   REPS=1 STEP=1s MAX_STEPS=3 MIN_STEP_REQUESTS=0 PROBE_SECONDS=2 STATIC_ROWS=64 scripts/headline.sh   # smoke run
#
# Time: one repetition of one model with the defaults and DATA took 190 s on the 2-core VM (busy
# with other builds), plus 59 s of build: 3 repetitions of one model ~10-11 minutes, each further
# model ~3.5 minutes per repetition. Each max-goodput search is bounded (MAX_STEPS steps of STEP,
# longer only to offer MIN_STEP_REQUESTS, at most 30 s a step), each probe by PROBE_SECONDS.
#
# Settings (environment): MODELS (criteo-deepfm; folders under models/), REPS (3), DATA (optional:
# a Criteo click-log .txt you supply; without it features are synthesised from the model config),
# STEP (3s), MAX_STEPS (7), PRECISION (0.1), MIN_STEP_REQUESTS (1000), SLO_MS (each model's
# sloP99Ms from its config.json), CRITEO_START
# (200 req/s), SMALL_START (1600 req/s), STATIC_ROWS ("64 256"), PROBE_SECONDS (4), RAW_SECONDS (0.5
# per batch size), PARSE_SECONDS (2), FLOOR_CRITEO_RATE (12000), FLOOR_SMALL_RATE (25000), SERVER_CPU
# (0), LOADGEN_CPU (1), OUT (artifacts/headline). Loads go to 127.0.0.1 only, every step is bounded
# in time, and the script stops the servers it started (by PID) on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${DATA:-}
[[ -z "$data" || "$data" == /* ]] || data=$PWD/$data
cd "$root"
# shellcheck source=lib/bench-server.sh
source "$root/scripts/lib/bench-server.sh"
started_at=$(date +%s)
models=${MODELS:-criteo-deepfm}
reps=${REPS:-3}
out=${OUT:-$root/artifacts/headline}
build=$root/artifacts/bench-build
step=${STEP:-3s}
max_steps=${MAX_STEPS:-7}
precision=${PRECISION:-0.1}
min_step_requests=${MIN_STEP_REQUESTS:-1000}
slo_override=${SLO_MS:-}
criteo_start=${CRITEO_START:-200}
small_start=${SMALL_START:-1600}
static_rows=${STATIC_ROWS:-64 256}
probe_seconds=${PROBE_SECONDS:-4}
raw_seconds=${RAW_SECONDS:-0.5}
parse_seconds=${PARSE_SECONDS:-2}
floor_criteo_rate=${FLOOR_CRITEO_RATE:-12000}
floor_small_rate=${FLOOR_SMALL_RATE:-25000}
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
criteo_mix=lognormal:165,1.0,1024   # the probe's form; the load generator's adds the minimum (,1)

log() { printf '[%4ss] %s\n' "$(( $(date +%s) - started_at ))" "$*" >&2; }

[[ "$reps" =~ ^[1-9][0-9]*$ ]] || { echo "REPS must be a positive whole number, not '$reps'" >&2; exit 2; }
for model in $models; do
  [[ -f "$root/models/$model/config.json" ]] || { echo "MODELS: no models/$model/config.json (MODELS names folders under models/)" >&2; exit 2; }
done
[[ -z "$data" || -f "$data" ]] || { echo "DATA=$data: no such file (a Criteo click-log .txt; leave DATA unset to synthesise features)" >&2; exit 2; }
[[ $(nproc) -ge 2 ]] || echo "warning: fewer than 2 cores; server and load generator will share one" >&2
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is required" >&2; exit 2; }
data_args=()
[[ -n "$data" ]] && data_args=(--data "$data")

rm -rf "$out"
mkdir -p "$out/logs"
record_run_start "$out"
log "models: $models; $reps repetitions; data: ${data:-synthetic}; load average $(cat "$out/loadavg-start.txt")"

log "building (Release, $build)"
bench_build
trap stop_server EXIT

# start_mode_server MODE LOG [KEY=VALUE ...]: a fresh server in that batching mode, the transport floor on.
start_mode_server() {
  local mode=$1 logfile=$2; shift 2
  server_log=$logfile
  start_server "$logfile" Serving__Batching__Mode="$mode" Serving__Devices__Cpu__Replicas=1 \
    Serving__Allocator__Enabled=false Serving__Benchmark__TransportFloor=true "$@"
}

# Exits the script, with the server log's tail, if the server is gone.
server_alive() {
  kill -0 "$server_pid" 2>/dev/null && return 0
  wait "$server_pid" 2>/dev/null; echo "the server (pid $server_pid) exited with status $?; see $server_log" >&2
  tail -20 "$server_log" >&2
  exit 1
}

# model_slo MODEL: SLO_MS if set, else the model's own sloP99Ms (criteo-deepfm 10 ms, criteo-deepfm-xl 20 ms).
model_slo() {
  if [[ -n "$slo_override" ]]; then echo "$slo_override"; else jq -r '.sloP99Ms // 10' "$root/models/$1/config.json"; fi
}

# goodput DIR MODEL CANDIDATES START: max-goodput against the running server into DIR.
goodput() {
  local dir=$1 model=$2 candidates=$3 start=$4
  local slo
  slo=$(model_slo "$model")
  server_alive
  taskset -c "$loadgen_cpu" dotnet "$loadgen_dll" max-goodput --target "http://127.0.0.1:$grpc_port" \
    --model "$model" --model-config "$root/models/$model/config.json" "${data_args[@]}" --candidates "$candidates" \
    --slo-ms "$slo" --start-rate "$start" --step-duration "$step" --min-step-requests "$min_step_requests" \
    --cooldown 1s --warmup 2s --precision "$precision" --max-steps "$max_steps" --drain-timeout 2s \
    --out "$dir" --quiet > "$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; server_alive; exit 1; }
  grep -E '^goodput|^no offered' "$dir.log" >&2 || true
}

# probe OUT MODEL [ARGS ...]: the benchmarks' probe against the running server (its CPU and /metrics read).
probe() {
  local file=$1 model=$2; shift 2
  server_alive
  taskset -c "$loadgen_cpu" dotnet "$bench_dll" probe --config "$root/models/$model/config.json" "${data_args[@]}" \
    --target "http://127.0.0.1:$grpc_port" --metrics "http://127.0.0.1:$admin_port/metrics" --server-pid "$server_pid" \
    --out "$file" "$@" >&2 || { server_alive; exit 1; }
}

for rep in $(seq 1 "$reps"); do
  for model in $models; do
    dir=$out/rep-$rep/$model
    mkdir -p "$dir/goodput" "$dir/probe"
    config=$root/models/$model/config.json

    log "rep $rep, $model, A: raw ONNX Runtime and parse + assembly on core $server_cpu"
    taskset -c "$server_cpu" dotnet "$bench_dll" raw-ort --config "$config" "${data_args[@]}" --seconds "$raw_seconds" \
      --out "$dir/raw-ort.json" > "$dir/raw-ort.log" 2>&1 || { tail -20 "$dir/raw-ort.log" >&2; exit 1; }
    taskset -c "$server_cpu" dotnet "$bench_dll" parse-assemble --config "$config" "${data_args[@]}" --candidates "$criteo_mix" \
      --seconds "$parse_seconds" --out "$dir/parse-assemble.json" >&2

    log "rep $rep, $model, B: adaptive"
    start_mode_server adaptive "$out/logs/server-$rep-$model-adaptive.log"
    goodput "$dir/goodput/adaptive-criteo" "$model" "$criteo_mix,1" "$criteo_start"
    goodput "$dir/goodput/adaptive-small" "$model" fixed:10 "$small_start"
    half=$(jq '((.goodputRate // ([.steps[].offeredRate] | min)) / 2 * 10 | round) / 10' "$dir/goodput/adaptive-criteo/goodput.json")
    log "half load: $half req/s of the Criteo mix, Rank then the transport floor (same requests)"
    probe "$dir/probe/half-rank.json" "$model" --label half-rank --candidates "$criteo_mix" --rate "$half" \
      --duration "$probe_seconds" --warmup 1
    probe "$dir/probe/half-floor.json" "$model" --label half-floor --call floor --candidates "$criteo_mix" --rate "$half" \
      --duration "$probe_seconds" --warmup 1
    log "transport floor saturation: Criteo mix at $floor_criteo_rate req/s, 10 candidates at $floor_small_rate req/s"
    probe "$dir/probe/floor-criteo-saturation.json" "$model" --label floor-criteo-saturation --call floor --candidates "$criteo_mix" \
      --rate "$floor_criteo_rate" --duration "$probe_seconds" --warmup 1 --max-in-flight 5000
    probe "$dir/probe/floor-small-saturation.json" "$model" --label floor-small-saturation --call floor --candidates fixed:10 \
      --rate "$floor_small_rate" --duration "$probe_seconds" --warmup 1 --max-in-flight 5000
    stop_server

    log "rep $rep, $model, C: none"
    start_mode_server none "$out/logs/server-$rep-$model-none.log"
    goodput "$dir/goodput/none-small" "$model" fixed:10 "$small_start"
    stop_server

    for rows in $static_rows; do
      log "rep $rep, $model, D: static, target $rows rows"
      start_mode_server static "$out/logs/server-$rep-$model-static-$rows.log" Serving__Batching__TargetBatchRows="$rows"
      goodput "$dir/goodput/static-$rows-small" "$model" fixed:10 "$small_start"
      stop_server
    done
  done
done

cut -d' ' -f1-3 /proc/loadavg > "$out/loadavg-end.txt"
log "report (load average at the end $(cat "$out/loadavg-end.txt"))"
dotnet "$bench_dll" headline --dir "$out"
log "done in $(( $(date +%s) - started_at )) s; $out/headline.json, $out/headline.md"
