#!/usr/bin/env bash
# The GPU run (issue #19), for a host with an NVIDIA GPU and the CUDA 13 / cuDNN 9 libraries
# (docs/gpu.md). In one run:
#   0. stops at once, exit 3, with the reason, when the host has no NVIDIA GPU or no CUDA libraries
#      (nothing is built or started);
#   1. builds the server, the load generator and benchmarks/Serving.Benchmarks (Release, into
#      artifacts/gpu-build/);
#   2. gpu-check (benchmarks/Serving.Benchmarks/Gpu): for every shipped model, CUDA scores against CPU
#      scores on the same 1,024 synthetic rows (|difference| <= TOLERANCE, default 1e-5), then raw ONNX
#      Runtime rows/s by batch size 1..4,096 on CUDA and on one CPU thread; a parity failure stops the run
#      (exit 1) before any load;
#   3. goodput at SLO for every shipped model (max-goodput of the load generator, as scripts/benchmark.sh
#      runs it): the server with GPU sessions (CPU pool beside them, as in production) and the server
#      with CPU sessions only, each pinned to SERVER_CPUS, the load generator on LOADGEN_CPU;
#   4. writes OUT/report.md and OUT/report.json (gpu-check's figures + goodput per model and device).
#      These figures are what the fleet simulator's GPU curve should be replaced with.
#
#   scripts/gpu-benchmark.sh                                            # synthetic rows from each config
#   DATA=/path/to/criteo_train_10k.txt scripts/gpu-benchmark.sh         # Criteo models replay these rows
#
# Settings (environment): OUT (artifacts/gpu), DEVICE_ID (0), TOLERANCE (1e-5), SIZES (1,2,4,...,4096),
# SECONDS_PER_SIZE (1), DATA (optional Criteo .txt you supply, for the criteo-* models), AVAZU_DATA
# (optional Avazu .csv, for avazu-dcn), CANDIDATES (lognormal:165,1.0,1024,1), SLO_MS (default: each
# model's sloP99Ms), STEP (5s), PRECISION (0.1), START_RATE (50), MIN_STEP_REQUESTS (1000),
# SERVER_CPUS (0), LOADGEN_CPU (1), SKIP_GOODPUT (unset: set it to stop after the report of step 2),
# STAND_IN (unset; 1 = no GPU needed: gpu-check --stand-in and a server with Serving:Devices:Gpu:StandIn,
# CPU sessions in the GPU's place. It checks this script on any machine; its figures say nothing of a GPU).
# Exit codes: 0 done, 1 parity failure or a server that did not start (or did not put the GPU to use),
# 2 bad settings or missing tools, 3 no usable GPU here.
# Every server runs on 127.0.0.1 only and is stopped (by PID) on exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib/bench-server.sh
source "$root/scripts/lib/bench-server.sh" # bench_build, start_server, stop_server
data=${DATA:-}
[[ -z "$data" || "$data" == /* ]] || data=$PWD/$data
avazu_data=${AVAZU_DATA:-}
[[ -z "$avazu_data" || "$avazu_data" == /* ]] || avazu_data=$PWD/$avazu_data
cd "$root"
started_at=$(date +%s)
log() { printf '[%4ss] %s\n' "$(( $(date +%s) - started_at ))" "$*" >&2; }

# --- 0. a usable GPU, or stop now -------------------------------------------------------------
no_gpu() { echo "gpu-benchmark: refusing to run: $1. This script needs an NVIDIA GPU with the CUDA 13 and cuDNN 9 libraries (docs/gpu.md)." >&2; exit 3; }

has_library() {
  local name=$1 dir
  ldconfig -p 2>/dev/null | grep -q "[[:space:]]$name " && return 0
  IFS=: read -r -a dirs <<< "${LD_LIBRARY_PATH:-}"
  for dir in "${dirs[@]}"; do
    [[ -n "$dir" && -e "$dir/$name" ]] && return 0
  done
  return 1
}

stand_in=${STAND_IN:-}
if [[ -n "$stand_in" ]]; then
  echo "gpu-benchmark: STAND_IN=$stand_in: CPU sessions stand in for the GPU; the figures say nothing of a GPU" >&2
elif [[ ! -e /dev/nvidia0 ]] && ! compgen -G '/proc/driver/nvidia/gpus/*' > /dev/null; then
  no_gpu "no GPU: no NVIDIA device (no /dev/nvidia0, nothing under /proc/driver/nvidia/gpus)"
fi
missing=()
for library in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
  [[ -n "$stand_in" ]] || has_library "$library" || missing+=("$library")
done
[[ ${#missing[@]} -eq 0 ]] || no_gpu "no CUDA libraries: ${missing[*]} not found (ldconfig -p, LD_LIBRARY_PATH)"

# --- settings -----------------------------------------------------------------------------------
out=${OUT:-$root/artifacts/gpu}
build=$root/artifacts/gpu-build
device_id=${DEVICE_ID:-0}
tolerance=${TOLERANCE:-1e-5}
sizes=${SIZES:-1,2,4,8,16,32,64,128,256,512,1024,2048,4096}
seconds_per_size=${SECONDS_PER_SIZE:-1}
candidates=${CANDIDATES:-lognormal:165,1.0,1024,1}
slo_ms=${SLO_MS:-}
step=${STEP:-5s}
precision=${PRECISION:-0.1}
start_rate=${START_RATE:-50}
min_step_requests=${MIN_STEP_REQUESTS:-1000}
server_cpus=${SERVER_CPUS:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
for tool in jq curl taskset dotnet; do
  command -v "$tool" > /dev/null || { echo "$tool is required" >&2; exit 2; }
done
[[ -z "$data" || -f "$data" ]] || { echo "DATA=$data: no such file" >&2; exit 2; }
[[ -z "$avazu_data" || -f "$avazu_data" ]] || { echo "AVAZU_DATA=$avazu_data: no such file" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out"/{gpu-check,goodput,logs}
if [[ -n "$stand_in" ]]; then
  echo "none: CPU sessions stood in (STAND_IN)" > "$out/gpu.txt"
else
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$out/gpu.txt" 2>/dev/null || echo "unknown (no nvidia-smi)" > "$out/gpu.txt"
fi
log "GPU: $(head -1 "$out/gpu.txt")"

# --- 1. build -------------------------------------------------------------------------------------
log "building into $build"
bench_build

# --- 2. parity and raw CUDA rows/s ----------------------------------------------------------------
log "gpu-check: parity (tolerance $tolerance) and rows/s at batch $sizes"
set +e
taskset -c "${server_cpus%%,*}" dotnet "$bench_dll" gpu-check --models "$root/models" --out "$out/gpu-check" \
  --device-id "$device_id" --tolerance "$tolerance" --sizes "$sizes" --seconds "$seconds_per_size" \
  ${stand_in:+--stand-in} 2>&1 | tee "$out/logs/gpu-check.log" >&2
check_rc=${PIPESTATUS[0]}
set -e
case $check_rc in
  0) ;;
  1) log "parity FAILED (see $out/gpu-check/gpu-check.md): no load run on scores that differ"; exit 1 ;;
  3) exit 3 ;;
  *) log "gpu-check failed (exit $check_rc)"; exit "$check_rc" ;;
esac

# --- 3. goodput at SLO, GPU sessions against CPU ones ---------------------------------------------
trap stop_server EXIT

# start_device_server DEVICE LOG: gpu = CUDA sessions on DEVICE_ID (plus the CPU pool), cpu = CPU
# sessions only; the library's start_server on $server_cpus, waiting up to 60 s, /readyz kept.
start_device_server() {
  local device=$1 log_file=$2 gpu_enabled=false
  [[ "$device" == gpu ]] && gpu_enabled=true
  server_cpu=$server_cpus ready_seconds=60 ready_file=$out/logs/readyz-$device.json start_server "$log_file" \
    Serving__Devices__Gpu__Enabled="$gpu_enabled" \
    Serving__Devices__Gpu__DeviceIds__0="$device_id" \
    Serving__Devices__Gpu__StandIn="$([[ -n "$stand_in" ]] && echo true || echo false)"
  if [[ "$device" == gpu ]]; then
    # A GPU server that fell back to CPU would measure the CPU twice.
    local unavailable
    unavailable=$(jq -r '[.models[] | .devices[] | select(.device == "gpu" and .available != true) | .detail] | first // empty' "$out/logs/readyz-$device.json")
    if [[ -n "$unavailable" ]] || ! jq -e '[.models[].devices[] | select(.device == "gpu")] | length > 0' "$out/logs/readyz-$device.json" > /dev/null; then
      echo "the server did not put the GPU to use: ${unavailable:-no gpu pool in /readyz}" >&2
      exit 1
    fi
  fi
}

mapfile -t models < <(jq -r '.models[].model' "$out/gpu-check/gpu-check.json")
if [[ -z "${SKIP_GOODPUT:-}" ]]; then
  for device in gpu cpu; do
    log "server with $device sessions on cores $server_cpus"
    start_device_server "$device" "$out/logs/server-$device.log"
    for model in "${models[@]}"; do
      model_config=$root/models/$model/config.json
      replay=()
      case $model in
        criteo-*) [[ -n "$data" ]] && replay=(--data "$data") ;;
        avazu-*) [[ -n "$avazu_data" ]] && replay=(--data "$avazu_data") ;;
      esac
      slo=()
      [[ -n "$slo_ms" ]] && slo=(--slo-ms "$slo_ms")
      dir=$out/goodput/$model-$device
      log "max-goodput: $model on $device (${replay[1]:-synthetic rows}, candidates $candidates)"
      taskset -c "$loadgen_cpu" dotnet "$loadgen_dll" max-goodput --target "http://127.0.0.1:$grpc_port" \
        --model "$model" --model-config "$model_config" "${replay[@]}" "${slo[@]}" --candidates "$candidates" \
        --start-rate "$start_rate" --step-duration "$step" --min-step-requests "$min_step_requests" \
        --cooldown 1s --warmup 2s --precision "$precision" --max-steps 12 --drain-timeout 2s \
        --out "$dir" --quiet > "$out/logs/goodput-$model-$device.log" 2>&1 \
        || { tail -20 "$out/logs/goodput-$model-$device.log" >&2; exit 1; }
      grep -E '^goodput|^no offered' "$out/logs/goodput-$model-$device.log" >&2 || true
    done
    curl -sf "http://127.0.0.1:$admin_port/metrics" > "$out/logs/metrics-$device.txt" || true
    stop_server
  done
fi

# --- 4. report --------------------------------------------------------------------------------------
log "writing $out/report.json and $out/report.md"
goodput_json='[]'
for model in "${models[@]}"; do
  for device in gpu cpu; do
    file=$out/goodput/$model-$device/goodput.json
    [[ -f "$file" ]] || continue
    goodput_json=$(jq --arg model "$model" --arg device "$device" --slurpfile g "$file" \
      '. + [{model: $model, device: $device, sloMs: $g[0].sloMs, goodputRate: $g[0].goodputRate,
             rowsPerSecond: $g[0].rowsPerSecond, p99Ms: $g[0].p99Ms, hitMaxRate: $g[0].hitMaxRate}]' <<< "$goodput_json")
  done
done
jq -n --slurpfile check "$out/gpu-check/gpu-check.json" --argjson goodput "$goodput_json" \
  --arg gpu "$(head -1 "$out/gpu.txt")" --arg revision "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --arg serverCpus "$server_cpus" --arg candidates "$candidates" \
  '{gpu: $gpu, revision: $revision, serverCpus: $serverCpus, candidates: $candidates,
    gpuCheck: $check[0], goodput: $goodput}' > "$out/report.json"
{
  echo "# GPU benchmark"
  echo
  echo "GPU: $(head -1 "$out/gpu.txt"). Revision $(jq -r .revision "$out/report.json"). Server on cores $server_cpus, load generator on core $loadgen_cpu."
  echo
  tail -n +2 "$out/gpu-check/gpu-check.md" | sed 's/^## /### /; s/^# /## /'
  echo
  echo "## Goodput at SLO (max-goodput, candidates $candidates)"
  echo
  echo "| model | device | SLO ms | goodput req/s | rows/s | p99 ms |"
  echo "|---|---|---:|---:|---:|---:|"
  jq -r '.goodput[] | "| \(.model) | \(.device) | \(.sloMs) | \(.goodputRate // "none passed") | \(.rowsPerSecond // "–") | \(.p99Ms // "–") |"' "$out/report.json"
} > "$out/report.md"
cat "$out/report.md"
