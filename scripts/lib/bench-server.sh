# Shared by scripts/benchmark.sh, scripts/allocator-benchmark.sh, scripts/headline.sh, scripts/client-agreement.sh and
# scripts/gpu-benchmark.sh (sourced, not run): the Release
# build both measure, and one pinned server at a time on free loopback ports.
# Needs: root (the repository), build (the artifacts folder), server_cpu (the core for the server).

# Builds the server, the load generator and benchmarks/Serving.Benchmarks into $build (their own
# folder, so a run never races another build of the tree); sets host_dll, loadgen_dll, bench_dll.
bench_build() {
  local project
  for project in src/Serving.Host/Serving.Host.csproj loadtest/Serving.LoadTest/Serving.LoadTest.csproj \
                 benchmarks/Serving.Benchmarks/Serving.Benchmarks.csproj; do
    dotnet build -c Release "$root/$project" --artifacts-path "$build" --nologo -v quiet -clp:ErrorsOnly >&2
  done
  host_dll=$build/bin/Serving.Host/release/Serving.Host.dll
  loadgen_dll=$build/bin/Serving.LoadTest/release/Serving.LoadTest.dll
  bench_dll=$build/bin/Serving.Benchmarks/release/Serving.Benchmarks.dll
}

server_pid=

# Stops the server start_server started (SIGTERM, then SIGKILL after 5 s), by PID.
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=
}

# start_server LOG [KEY=VALUE ...]: the server pinned to $server_cpu on four free 127.0.0.1 ports
# (sets http_port, grpc_port, admin_port (metrics, /v1/allocator), admin_grpc_port, server_pid),
# CPU only, 1 intra-op thread, the repository's models, plus the given settings (they override
# these defaults); returns once /readyz answers, exits the script if it never does. Optional:
# ready_seconds (default 20) bounds the wait, and ready_file, when set, receives /readyz's body.
start_server() {
  local log=$1 ports; shift
  ports=$(dotnet "$bench_dll" free-ports 4 | tr '\n' ' ')
  read -r http_port grpc_port admin_port admin_grpc_port <<< "$ports"
  env \
    Serving__ModelRepositoryPath="$root/models" \
    Serving__Devices__Cpu__IntraOpThreads=1 \
    Serving__Devices__Gpu__Enabled=false \
    Serving__Drain__Timeout=00:00:02 \
    Kestrel__Endpoints__Http__Url="http://127.0.0.1:$http_port" \
    Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc_port" \
    Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$admin_port" \
    Kestrel__Endpoints__AdminGrpc__Url="http://127.0.0.1:$admin_grpc_port" \
    Logging__LogLevel__Default=Warning \
    "$@" \
    taskset -c "$server_cpu" dotnet "$host_dll" > "$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 $(( ${ready_seconds:-20} * 5 ))); do
    curl -sf "http://127.0.0.1:$http_port/readyz" > "${ready_file:-/dev/null}" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "the server did not become ready; see $log" >&2
  tail -20 "$log" >&2
  exit 1
}

# record_run_start DIR: the load average at the start (DIR/loadavg-start.txt) and the revision
# measured, with "+ uncommitted changes" when the tree differs from it (DIR/revision.txt).
record_run_start() {
  cut -d' ' -f1-3 /proc/loadavg > "$1/loadavg-start.txt"
  echo "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)$( [[ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]] && echo ' + uncommitted changes')" > "$1/revision.txt"
}
