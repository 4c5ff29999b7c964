#!/usr/bin/env bash
# Validation of the fleet simulator (docs/fleet.md, "Validation"): the simulator's single-pod
# prediction against the real server on this machine at three load levels.
#   - the real server pinned to core SERVER_CPU (0) with its defaults (2 CPU session replicas,
#     adaptive batching, the allocator on), the load generator on core LOADGEN_CPU (1), open-loop
#     Poisson, lognormal 165-candidate requests (the simulator's), SECONDS_PER_LEVEL measured per level;
#   - `Serving.Fleet predict --cores 1` at the same rates;
# then one table: real OK/s and p99 (client side) against the predicted ones.
# Settings (environment): RATES (400,800,1600: light, middling, past one core's capacity), SECONDS_PER_LEVEL (20), DATA (optional: a Criteo .txt you supply,
# read at run time; default: synthetic rows), OUT (artifacts/fleet-validate).
# Loopback only; every run is bounded in time; the script stops the server it started on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rates=${RATES:-400,800,1600}
seconds=${SECONDS_PER_LEVEL:-20}
out=${OUT:-artifacts/fleet-validate}
server_cpu=${SERVER_CPU:-0}
loadgen_cpu=${LOADGEN_CPU:-1}
build=$root/artifacts/fleet-validate-build
mkdir -p "$out"
command -v taskset >/dev/null || { echo "taskset (util-linux) is required" >&2; exit 2; }
# shellcheck source=lib/bench-server.sh
source "$root/scripts/lib/bench-server.sh"
trap stop_server EXIT
bench_build
dotnet build -c Release simulator/Serving.Fleet/Serving.Fleet.csproj --artifacts-path "$build" --nologo -v quiet -clp:ErrorsOnly >&2
fleet_dll=$build/bin/Serving.Fleet/release/Serving.Fleet.dll

data_args=()
[[ -n "${DATA:-}" ]] && data_args=(--data "$DATA")

echo "| offered req/s | real OK/s | real p50 / p99 ms (client) | real p99 ms (server, answered) | real not OK | load average |" > "$out/real.md"
echo "|---:|---:|---:|---:|---:|---:|" >> "$out/real.md"
for rate in ${rates//,/ }; do
  start_server "$out/server-$rate.log"
  dir="$out/real-$rate"
  taskset -c "$loadgen_cpu" dotnet "$loadgen_dll" run --target "http://127.0.0.1:$grpc_port" \
    --model-config models/criteo-deepfm/config.json "${data_args[@]}" --slo-ms 10 \
    --schedule steady --rate "$rate" --duration "${seconds}s" --warmup 10s --drain-timeout 2s \
    --max-in-flight 5000 --quiet --out "$dir" > "$dir.log" 2>&1 || true
  # The server's own p99 of answered calls (serving_request_duration_seconds, warm-up included),
  # the figure the simulator predicts: the client's adds the generator's and the network's time.
  curl -sf "http://127.0.0.1:$admin_port/metrics" > "$dir/metrics.txt" || true
  stop_server
  python3 - "$dir/summary.json" "$rate" "$dir/metrics.txt" >> "$out/real.md" <<'PY'
import json, os, re, sys
s = json.load(open(sys.argv[1]))
lat = s["latencyMs"]
buckets = {}
for line in open(sys.argv[3]):
    m = re.match(r'serving_request_duration_seconds_bucket\{(.*)\} (\S+)', line)
    if m and 'model="criteo-deepfm"' in m.group(1):
        le = re.search(r'le="([^"]+)"', m.group(1)).group(1)
        buckets[float('inf') if le == '+Inf' else float(le)] = buckets.get(float('inf') if le == '+Inf' else float(le), 0) + float(m.group(2))
server_p99 = float('nan')
if buckets:
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    rank, previous_bound, previous_count = 0.99 * total, 0.0, 0.0
    for bound in bounds:
        if buckets[bound] >= rank:
            # linear inside the bucket, as Prometheus' histogram_quantile
            width = (bound if bound != float('inf') else previous_bound) - previous_bound
            share = (rank - previous_count) / max(buckets[bound] - previous_count, 1e-9)
            server_p99 = (previous_bound + width * share) * 1000
            break
        previous_bound, previous_count = bound, buckets[bound]
print(f"| {sys.argv[2]} | {s['achievedRate']:.0f} | {lat['p50']:.2f} / {lat['p99']:.2f} | {server_p99:.2f} | {s['errorRate']*100:.1f}% | {os.getloadavg()[0]:.1f} |")
PY
done

dotnet "$fleet_dll" predict --cores 1 --rates "$rates" --seconds "$seconds" > "$out/predicted.md"
echo "real (this machine, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD)):"
cat "$out/real.md"
echo
echo "predicted (Serving.Fleet predict --cores 1):"
cat "$out/predicted.md"
