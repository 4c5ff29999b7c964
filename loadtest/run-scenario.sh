#!/usr/bin/env bash
# Runs one named load scenario against a server already listening on loopback, with the load
# generator pinned to its own core (the server should be pinned to the other one; see docs/loadtest.md).
#
#   loadtest/run-scenario.sh steady|step|ramp|spike|diurnal|max-goodput [extra options...]
#
# Rates and durations come from the environment so the same script fits any server:
#   RATE (base rate, req/s)  PEAK_RATE  DURATION  SLO_MS  MODEL  DATA  LOADGEN_CPU (default 1)  OUT
# DATA is a click-log sample you supply to replay, e.g. DATA=/path/to/criteo_train_10k.txt; without it
# the load generator synthesises rows from the model config.
# Extra options are passed through (for options the scenario does not set itself, e.g. --rest URL,
# --candidates fixed:64, --context-features C1,C2, --deadline-ms 50).
set -euo pipefail

scenario=${1:?usage: loadtest/run-scenario.sh steady|step|ramp|spike|diurnal|max-goodput [extra options]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
cpu=${LOADGEN_CPU:-1}
model=${MODEL:-criteo-deepfm}
rate=${RATE:-200}
peak=${PEAK_RATE:-800}
out=${OUT:-$root/loadtest/results/$scenario-$(date +%Y%m%d-%H%M%S)}

common=(--model "$model" --out "$out")
# DATA: Criteo train.txt rows for criteo-deepfm, Avazu train.csv rows for avazu-dcn.
if [[ -n "${DATA:-}" ]]; then
  [[ -f "$DATA" ]] || { echo "DATA=$DATA: no such file; DATA must name a click-log sample to replay (Criteo .txt for criteo-deepfm, Avazu .csv for avazu-dcn), e.g. DATA=/path/to/criteo_train_10k.txt, or be unset for synthetic rows" >&2; exit 2; }
  common+=(--data "$(realpath -- "$DATA")")  # absolute: the load generator runs from the repository root
else
  echo "note: DATA not set, sending synthetic rows (set DATA=/path/to/criteo_train_10k.txt to replay a click-log sample)" >&2
fi
if [[ -n "${SLO_MS:-}" ]]; then
  common+=(--slo-ms "$SLO_MS")
fi

case "$scenario" in
  steady)      args=(run --schedule steady --rate "$rate" --duration "${DURATION:-60s}" --warmup 5s) ;;
  step)        args=(run --schedule step --rate "$rate" --peak-rate "$peak" --change-at 20s --change-for 20s --duration "${DURATION:-60s}" --warmup 5s) ;;
  ramp)        args=(run --schedule ramp --rate "$rate" --peak-rate "$peak" --duration "${DURATION:-120s}" --warmup 5s) ;;
  spike)       args=(run --schedule spike --rate "$rate" --peak-rate "$peak" --change-at 20s --change-for 5s --duration "${DURATION:-60s}" --warmup 5s) ;;
  diurnal)     args=(run --schedule diurnal --rate "$rate" --peak-rate "$peak" --period "${DURATION:-240s}" --duration "${DURATION:-240s}" --warmup 5s) ;;
  max-goodput) args=(max-goodput --start-rate "$rate" --step-duration "${DURATION:-10s}") ;;
  *) echo "unknown scenario '$scenario'" >&2; exit 2 ;;
esac

dotnet build -c Release "$root/loadtest/Serving.LoadTest/Serving.LoadTest.csproj" -v quiet --nologo >&2
cd "$root"
taskset -c "$cpu" dotnet "$root/loadtest/Serving.LoadTest/bin/Release/net10.0/Serving.LoadTest.dll" \
  "${args[@]}" "${common[@]}" "$@"
