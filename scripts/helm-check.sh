#!/usr/bin/env bash
# Lint and render the Helm chart for the default values and every helm/serving/ci/*.yaml.
#
#   scripts/helm-check.sh [OUT_DIR]      (default OUT_DIR: artifacts/helm)
#
# For each values set: `helm lint --strict` (schema included), `helm template` into
# OUT_DIR/<values name>.yaml (default.yaml for the chart defaults), then a structural check of the
# rendered objects (python3 + PyYAML, skipped when missing). Finally a few values that must be
# refused are checked to be refused. Exits non-zero on the first failure.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chart="${repo_root}/helm/serving"
out_dir="${1:-artifacts/helm}"
release="serving"
namespace="ads"

helm="$("${repo_root}/scripts/fetch-helm.sh")"
echo "helm: ${helm} ($("${helm}" version --short))"

mkdir -p "${out_dir}"
out_dir="$(cd "${out_dir}" && pwd)"

values_sets=("default")
while IFS= read -r file; do
  values_sets+=("${file}")
done < <(find "${chart}/ci" -maxdepth 1 -name '*.yaml' | sort)

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

for values in "${values_sets[@]}"; do
  if [[ "${values}" == "default" ]]; then
    name="default"
    values_args=()
  else
    name="$(basename "${values}" .yaml)"
    values_args=(-f "${values}")
  fi
  echo "== ${name}"

  if ! "${helm}" lint --strict "${chart}" "${values_args[@]}" --namespace "${namespace}"; then
    fail "helm lint --strict (${name})"
    continue
  fi

  rendered="${out_dir}/${name}.yaml"
  if ! "${helm}" template "${release}" "${chart}" "${values_args[@]}" \
      --namespace "${namespace}" >"${rendered}"; then
    fail "helm template (${name})"
    continue
  fi
  echo "rendered ${rendered} ($(grep -c '^kind:' "${rendered}") objects)"

  if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
    if ! python3 - "${rendered}" "${name}" <<'PY'
import sys
import yaml

path, name = sys.argv[1], sys.argv[2]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
problems = []
kinds = {}
for d in docs:
    for key in ("apiVersion", "kind", "metadata"):
        if key not in d:
            problems.append(f"object without {key}: {d}")
    kinds.setdefault(d.get("kind"), []).append(d)
    labels = d.get("metadata", {}).get("labels", {})
    for label in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                  "app.kubernetes.io/managed-by", "helm.sh/chart"):
        if label not in labels:
            problems.append(f"{d.get('kind')} {d['metadata'].get('name')}: no label {label}")

def one(kind):
    objs = kinds.get(kind, [])
    if len(objs) != 1:
        problems.append(f"expected one {kind}, found {len(objs)}")
        return None
    return objs[0]

dep, cm = one("Deployment"), one("ConfigMap")
public = [s for s in kinds.get("Service", []) if s["metadata"]["labels"].get("app.kubernetes.io/component") == "server"]
svc = public[0] if len(public) == 1 else None
if svc is None:
    problems.append(f"expected one public Service (component: server), found {len(public)}")
if dep and svc and cm:
    pod = dep["spec"]["template"]["spec"]
    main = next(c for c in pod["containers"] if c["name"] == "serving")
    env = cm["data"]
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    # Kestrel binds what the pod declares.
    if not env["Kestrel__Endpoints__Http__Url"].endswith(f":{ports['http']}"):
        problems.append("Kestrel http URL does not match the http container port")
    if not env["Kestrel__Endpoints__Grpc__Url"].endswith(f":{ports['grpc']}"):
        problems.append("Kestrel grpc URL does not match the grpc container port")
    # The Service routes by port name and tells proxies the protocols.
    app = {p["name"]: p.get("appProtocol") for p in svc["spec"]["ports"]}
    if app != {"http": "http", "grpc": "kubernetes.io/h2c"}:
        problems.append(f"Service appProtocol: {app}")
    if svc["spec"]["selector"] != dep["spec"]["selector"]["matchLabels"]:
        problems.append("Service selector differs from the Deployment selector")
    # Probes.
    if main["livenessProbe"]["httpGet"]["path"] != "/healthz":
        problems.append("liveness probe is not /healthz")
    for probe in ("readinessProbe", "startupProbe"):
        if main[probe]["httpGet"]["path"] != "/readyz":
            problems.append(f"{probe} is not /readyz")
    # Drain timing: grace period > preStop sleep + drain timeout.
    h, m, s = (int(x) for x in env["Serving__Drain__Timeout"].split(":"))
    drain = h * 3600 + m * 60 + s
    pre = main.get("lifecycle", {}).get("preStop", {})
    sleep = int(pre["exec"]["command"][1]) if "exec" in pre else int(pre.get("sleep", {}).get("seconds", 0))
    grace = pod["terminationGracePeriodSeconds"]
    if grace <= sleep + drain:
        problems.append(f"terminationGracePeriodSeconds {grace} <= preStop {sleep} + drain {drain}")
    # Non-root, read-only root filesystem with a writable /tmp.
    sc = main["securityContext"]
    if not (sc.get("readOnlyRootFilesystem") and (sc.get("runAsNonRoot") or pod.get("securityContext", {}).get("runAsNonRoot"))):
        problems.append("container is not non-root with a read-only root filesystem")
    if not any(m["mountPath"] == "/tmp" for m in main["volumeMounts"]):
        problems.append("no /tmp mount")
    # GPU: a GPU limit iff the CUDA image and GPU enabled in the config.
    gpu = env["Serving__Devices__Gpu__Enabled"] == "true"
    has_limit = "nvidia.com/gpu" in main.get("resources", {}).get("limits", {})
    if gpu != has_limit or gpu != main["image"].endswith("-cuda"):
        problems.append(f"GPU settings disagree: config {gpu}, limit {has_limit}, image {main['image']}")
    # The config checksum rolls the pods on a config change.
    if "checksum/config" not in dep["spec"]["template"]["metadata"].get("annotations", {}):
        problems.append("no checksum/config annotation")
    # Autoscaling: the Deployment leaves replicas to exactly one autoscaler.
    scalers = len(kinds.get("ScaledObject", [])) + len(kinds.get("HorizontalPodAutoscaler", []))
    if scalers > 1 or (scalers == 1) == ("replicas" in dep["spec"]):
        problems.append(f"{scalers} autoscaler(s) with Deployment replicas {dep['spec'].get('replicas')}")
    for so in kinds.get("ScaledObject", []):
        trig = so["spec"]["triggers"][0]
        if trig["type"] != "prometheus" or trig["metricType"] != "AverageValue" \
                or "serving_desired_replicas" not in trig["metadata"]["query"]:
            problems.append(f"ScaledObject trigger: {trig}")

if problems:
    print(f"{name}: " + "\n  ".join(["structural check failed:"] + problems), file=sys.stderr)
    sys.exit(1)
print(f"{name}: structural check passed ({', '.join(sorted(k for k in kinds if k))})")
PY
    then
      fail "structural check (${name})"
    fi
  else
    echo "python3 with PyYAML not found: structural check skipped"
  fi
done

# Values that must be refused (schema and template guards).
expect_refused() {
  local what="$1"
  shift
  if "${helm}" template "${release}" "${chart}" --namespace "${namespace}" "$@" >/dev/null 2>&1; then
    fail "accepted ${what}: $*"
  else
    echo "refused as expected: ${what}"
  fi
}
echo "== guards"
expect_refused "a misspelt key" --set gpu.enabeld=true
expect_refused "an unknown autoscaling mode" --set autoscaling.mode=vpa
expect_refused "a grace period shorter than preStop + drain" --set lifecycle.terminationGracePeriodSeconds=20
expect_refused "a PVC source without a claim" --set models.source=pvc
expect_refused "the Prometheus latency source without a URL" --set serving.allocator.latencySource=Prometheus
expect_refused "minReplicas above maxReplicas" --set autoscaling.mode=keda --set autoscaling.minReplicas=5 --set autoscaling.maxReplicas=3

if ((failures > 0)); then
  echo "helm-check: ${failures} failure(s)" >&2
  exit 1
fi
echo "helm-check: ${#values_sets[@]} values sets linted and rendered into ${out_dir}"
