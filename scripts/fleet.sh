#!/usr/bin/env bash
# The fleet simulation behind docs/fleet.md (issue #17): every scenario under every autoscaler,
# deterministic for a seed. A few minutes on 2 cores. Extra arguments go to the simulator, e.g.
#   scripts/fleet.sh --scenarios step --autoscalers hpa-cpu,allocator-keda
#   scripts/fleet.sh --trace my-trace.csv          (per-second request rates, criteo-deepfm)
# Settings (environment): SEED (1), OUT (artifacts/fleet).
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run --project simulator/Serving.Fleet -c Release -- --seed "${SEED:-1}" --out "${OUT:-artifacts/fleet}" "$@"
