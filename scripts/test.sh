#!/usr/bin/env bash
# The project's test command: installs what the tests need when it is missing, runs the Helm
# chart checks with a real helm and every .NET test suite, and ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts

# --- prerequisites -----------------------------------------------------------------------
if ! command -v dotnet >/dev/null 2>&1; then
  echo "dotnet (SDK 10) is required on PATH" >&2
  exit 2
fi
if ! command -v unzip >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip) >/dev/null 2>&1 || true
fi
# helm-check runs the chart's model sync script against a local rclone remote (skipped without it).
if ! command -v rclone >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rclone) >/dev/null 2>&1 || true
fi
# The Open Inference Protocol test runs a Python client generated from the .proto (Debian's
# python3-grpcio and python3-grpc-tools); without them that test fails with the command to install.
if ! /usr/bin/python3 -c "import grpc, grpc_tools" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-grpcio python3-grpc-tools) >artifacts/apt-python-grpc.log 2>&1 \
    || echo "could not install python3-grpcio and python3-grpc-tools (artifacts/apt-python-grpc.log)" >&2
fi
# The allocator integration tests start Debian's prometheus binary. When it cannot be installed
# they fail (never skip) with the command that installs it.
if [ -z "${PROMETHEUS_BIN:-}" ] && [ ! -x /usr/bin/prometheus ] && ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian's prometheus (the allocator integration tests run a real one)"
    if ! (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y prometheus) >artifacts/apt-prometheus.log 2>&1; then
      echo "could not install prometheus (artifacts/apt-prometheus.log); the Prometheus tests will fail. Install it with: apt-get update && apt-get install -y prometheus" >&2
    fi
  else
    echo "prometheus is missing and this is not root; the Prometheus tests will fail. Install it with: sudo apt-get update && sudo apt-get install -y prometheus" >&2
  fi
fi

passed=0
failed=0

# One check outside dotnet test: its output goes to artifacts/<name>.log, it counts as one test,
# and a failure shows the log's end (and the hint, if any).
check() {
  local name=$1 what=$2 hint=$3
  shift 3
  if "$@" >"artifacts/${name}.log" 2>&1; then
    echo "${name}: passed (${what})"
    passed=$((passed + 1))
  else
    echo "${name}: FAILED${hint:+ (${hint})}"
    tail -40 "artifacts/${name}.log"
    failed=$((failed + 1))
  fi
}

# --- Helm chart: lint and render every values file with a real helm ----------------------
check helm-check "lint + template for every values file" "" scripts/helm-check.sh artifacts/helm

# --- .proto contracts: buf lint (STANDARD rules; the exceptions and why are in buf.yaml) -------
check proto-lint "buf lint" "" scripts/proto-lint.sh

# --- .NET tests ----------------------------------------------------------------------------
# One test assembly at a time: the overload test pins the server and its client to a core each
# and must not share the machine with the other suites.
dotnet test Serving.sln -c Release -- RunConfiguration.MaxCpuCount=1 2>&1 | tee artifacts/dotnet-test.log
status=${PIPESTATUS[0]}
summaries=$(grep -E '^(Passed|Failed)!' artifacts/dotnet-test.log || true)
if [ -z "$summaries" ]; then
  echo "dotnet test printed no test summary (build failure?)"
  failed=$((failed + 1))
fi
while read -r line; do
  [ -z "$line" ] && continue
  p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
  f=$(sed -E 's/.*Failed: *([0-9]+),.*/\1/' <<<"$line")
  passed=$((passed + p))
  failed=$((failed + f))
done <<<"$summaries"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status"
  failed=$((failed + 1))
fi

# --- format: the C# sources as dotnet format leaves them (whitespace; the analyzers' style rules
# are build errors already). After the tests: it needs the restored projects.
check format-check "dotnet format whitespace" "run: dotnet format Serving.sln whitespace" \
  dotnet format Serving.sln whitespace --verify-no-changes -v q

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
