#!/usr/bin/env bash
# The "publish" load scenario: a steady open-loop run while a training pipeline publishes a new
# version of the model every PUBLISH_EVERY seconds (two real exported versions alternating, one
# corrupt version among them), the way docs/models.md says to publish: copy into a hidden temporary
# folder inside the model folder, then rename it to the next version number. The server follows
# the repository by polling (Serving:Models:PollInterval=1s) and swaps each version in after
# loading and warming it. Reports errors and p99 per second next to what was published when, and
# the server's resident memory before, during and after.
#
#   VERSION_A=models/criteo-deepfm/1 VERSION_B=/path/to/retrained/1 RATE=300 loadtest/publish-scenario.sh
#
# Settings (environment):
#   VERSION_A, VERSION_B  folders holding a model.onnx (and optionally a config.json) of MODEL: the
#                         two versions published alternately (required; A may be the shipped one)
#   MODEL                 the model (default criteo-deepfm, from models/)
#   RATE                  offered rate, req/s (default 300), or auto: first search the server's max goodput
#                         at the SLO (max-goodput, 5 s steps) and offer GOODPUT_SHARE of it (default 0.6)
#   DURATION              measured run (default 150s) after a 10 s warm-up
#   PUBLISH_EVERY         seconds between publishes (default 10); SWAPS=off runs the same load without any
#   CORRUPT_AT            the publish (1-based) that is a corrupt model.onnx (default 6; 0 = none)
#   SETTLE                seconds to wait after the run before the last memory reading (default 20)
#   DATA                  a click-log sample to replay (optional; synthetic rows otherwise)
#   SERVER_CPU, LOADGEN_CPU  cores to pin to (default 0 and 1)
#   OUT                   output folder (default loadtest/results/publish-<time>)
# Output: OUT/publish-summary.md (per-second table and totals), OUT/events.tsv, OUT/rss.tsv,
# OUT/load/ (the load generator's summary.json and timeseries.json), OUT/server.log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
model=${MODEL:-criteo-deepfm}
rate=${RATE:-300}
duration=${DURATION:-150s}
every=${PUBLISH_EVERY:-10}
corrupt_at=${CORRUPT_AT:-6}
settle=${SETTLE:-20}
swaps=${SWAPS:-on}
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
out=${OUT:-$root/loadtest/results/publish-$(date +%Y%m%d-%H%M%S)}
version_a=${VERSION_A:?VERSION_A must name a folder holding a model.onnx of $model (e.g. models/$model/1)}
version_b=${VERSION_B:?VERSION_B must name a second exported version of $model (a folder holding its model.onnx), e.g. one trained with another --seed}
for v in "$version_a" "$version_b"; do
  [[ -f "$v/model.onnx" ]] || { echo "$v: no model.onnx there" >&2; exit 2; }
done
version_a=$(realpath -- "$version_a")
version_b=$(realpath -- "$version_b")
loadgen_data=()
if [[ -n "${DATA:-}" ]]; then
  [[ -f "$DATA" ]] || { echo "DATA=$DATA: no such file" >&2; exit 2; }
  loadgen_data=(--data "$(realpath -- "$DATA")")
fi

mkdir -p "$out"
out=$(realpath -- "$out")
repo="$out/repo"
rm -rf "$repo"
mkdir -p "$repo/$model/1"
cp "$root/models/$model/config.json" "$repo/$model/config.json"
cp "$version_a/model.onnx" "$repo/$model/1/model.onnx"

dotnet build -c Release "$root/src/Serving.Host/Serving.Host.csproj" -v quiet --nologo >&2
dotnet build -c Release "$root/loadtest/Serving.LoadTest/Serving.LoadTest.csproj" -v quiet --nologo >&2

# --- the server, pinned, following the repository every second -------------------------------
Serving__ModelRepositoryPath="$repo" Serving__Models__PollInterval=00:00:01 Serving__Devices__Gpu__Enabled=false \
Kestrel__Endpoints__Http__Url=http://127.0.0.1:8080 Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:8081 \
Kestrel__Endpoints__Admin__Url=http://127.0.0.1:8082 Kestrel__Endpoints__AdminGrpc__Url=http://127.0.0.1:8083 \
  taskset -c "$server_cpu" dotnet "$root/src/Serving.Host/bin/Release/net10.0/Serving.Host.dll" >"$out/server.log" 2>&1 &
server=$!
cleanup() {
  kill "${sampler:-}" "${publisher:-}" 2>/dev/null || true
  kill -TERM "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -fs http://127.0.0.1:8080/readyz >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { echo "the server exited; see $out/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -fs http://127.0.0.1:8080/readyz >/dev/null || { echo "the server did not become ready; see $out/server.log" >&2; exit 1; }

now_ms() { date +%s%3N; }

# --- resident memory, once a second --------------------------------------------------------------
# (and the GC's total pause and gen-2 count, to explain a slow second)
( while kill -0 "$server" 2>/dev/null; do
    gc=$(curl -fs http://127.0.0.1:8082/metrics 2>/dev/null | awk '/^dotnet_gc_pause_seconds_total / {p=$2} /^dotnet_collection_count_total\{generation="2"\}/ {g=$2} END {print p "\t" g}')
    printf '%s\t%s\t%s\n' "$(now_ms)" "$(awk '/^VmRSS:/ {print $2}' /proc/$server/status 2>/dev/null)" "$gc"
    sleep 1
  done ) >"$out/rss.tsv" &
sampler=$!

# --- the publisher ------------------------------------------------------------------------------
printf 'epoch_ms\tversion\tkind\n' >"$out/events.tsv"
publish() {  # publish VERSION SOURCE_DIR|corrupt
  local version=$1 source=$2 temp="$repo/$model/.publishing-$1"
  rm -rf "$temp"
  mkdir -p "$temp"
  if [[ "$source" == corrupt ]]; then
    head -c 4096 /dev/urandom >"$temp/model.onnx"
  else
    cp "$source/model.onnx" "$temp/model.onnx"
    [[ -f "$source/config.json" && "$source" != "$root/models/$model" ]] && cp "$source/config.json" "$temp/config.json" || true
  fi
  mv "$temp" "$repo/$model/$version"   # one rename: the server sees all of it or none of it
  printf '%s\t%s\t%s\n' "$(now_ms)" "$version" "$([[ "$source" == corrupt ]] && echo corrupt || basename "$(dirname "$source")")/$(basename "$source")" >>"$out/events.tsv"
}
# --- the load -------------------------------------------------------------------------------------
cd "$root"
if [[ "$rate" == auto ]]; then
  taskset -c "$loadgen_cpu" dotnet "$root/loadtest/Serving.LoadTest/bin/Release/net10.0/Serving.LoadTest.dll" \
    max-goodput --model "$model" --model-config "$repo/$model/config.json" --start-rate 200 --step-duration 5s \
    --out "$out/goodput" --quiet "${loadgen_data[@]}" >"$out/goodput.log" 2>&1 || true
  goodput=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("goodputRate") or 0)' "$out/goodput/goodput.json")
  rate=$(/usr/bin/python3 -c 'import sys; print(max(1, round(float(sys.argv[1]) * float(sys.argv[2]))))' "$goodput" "${GOODPUT_SHARE:-0.6}")
  echo "max goodput $goodput req/s: offering $rate req/s" | tee "$out/rate.txt" >&2
fi
if [[ "$swaps" == on ]]; then
  ( sleep 10  # the load generator's warm-up
    n=1
    i=0
    while true; do
      sleep "$every"
      i=$((i + 1))
      n=$((n + 1))
      if [[ "$i" == "$corrupt_at" ]]; then
        publish "$n" corrupt
      elif (( i % 2 == 1 )); then
        publish "$n" "$version_b"
      else
        publish "$n" "$version_a"
      fi
    done ) &
  publisher=$!
fi

taskset -c "$loadgen_cpu" dotnet "$root/loadtest/Serving.LoadTest/bin/Release/net10.0/Serving.LoadTest.dll" \
  run --model "$model" --model-config "$repo/$model/config.json" --schedule steady --rate "$rate" --duration "$duration" --warmup 10s \
  --out "$out/load" --quiet "${loadgen_data[@]}" || true
kill "${publisher:-}" 2>/dev/null || true
sleep "$settle"   # old versions finish, retire, and are disposed
printf '%s\tafter\n' "$(now_ms)" >>"$out/rss.tsv"
printf '%s\t%s\n' "$(now_ms)" "$(awk '/^VmRSS:/ {print $2}' /proc/$server/status)" >>"$out/rss.tsv"
curl -fs http://127.0.0.1:8082/metrics | grep -E '^serving_model_(state|load_failures_total)' >"$out/model-metrics.txt" || true

/usr/bin/python3 "$root/loadtest/publish_summary.py" "$out" "$swaps" | tee "$out/publish-summary.md"
