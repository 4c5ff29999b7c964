#!/usr/bin/env bash
# Lint and render the Helm chart for the default values and every helm/serving/ci/*.yaml.
#
#   scripts/helm-check.sh [OUT_DIR]      (default OUT_DIR: artifacts/helm)
#
# For each values set: `helm lint --strict` (schema included), `helm template` into
# OUT_DIR/<values name>.yaml (default.yaml for the chart defaults, rendered with the one value
# that has no default, image.repository), then a structural check of the rendered objects
# (scripts/lib/helm-structure.py; python3 + PyYAML, skipped when missing). Then, when the tools
# are there: `promtool check rules` on every rendered PrometheusRule and `promtool test rules`
# (tests/helm/prometheus-rules.test.yaml) on the chart's default alerts; the model sync script of
# ci/values-model-sync.yaml run against a local rclone remote. Finally values that must be refused
# are checked to be refused, with the chart's message. Exits non-zero if anything failed.
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

# The chart has no default image (none is published); the default set renders with this one.
default_image=(--set image.repository=registry.example.com/ads/serving)
have_pyyaml=false
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
  have_pyyaml=true
fi

for values in "${values_sets[@]}"; do
  if [[ "${values}" == "default" ]]; then
    name="default"
    values_args=("${default_image[@]}")
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

  if ${have_pyyaml}; then
    python3 "${repo_root}/scripts/lib/helm-structure.py" "${rendered}" "${name}" || fail "structural check (${name})"
  else
    echo "python3 with PyYAML not found: structural check skipped"
  fi
done

# Prometheus rules: every rendered PrometheusRule must load in Prometheus, and the chart's default
# alerts must fire (and stay quiet) on the series in tests/helm/prometheus-rules.test.yaml.
extract_rules() { # rendered.yaml -> rules file (the groups of every PrometheusRule)
  python3 - "$1" "$2" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") == "PrometheusRule"]
yaml.safe_dump({"groups": [g for d in docs for g in d["spec"]["groups"]]}, open(sys.argv[2], "w"))
print(len(docs))
PY
}
echo "== prometheus rules"
promtool="$(command -v promtool || true)"
if [[ -z "${promtool}" ]] || ! ${have_pyyaml}; then
  echo "promtool or PyYAML not found: rule checks skipped (Debian: apt-get install prometheus)"
else
  for rendered in "${out_dir}"/*.yaml; do
    [[ "$(basename "${rendered}")" == prometheus-* ]] && continue
    rules="${out_dir}/prometheus-$(basename "${rendered}")"
    if [[ "$(extract_rules "${rendered}" "${rules}")" != 0 ]]; then
      "${promtool}" check rules "${rules}" || fail "promtool check rules ($(basename "${rendered}"))"
    else
      rm -f "${rules}"
    fi
  done
  rules_dir="${out_dir}/prometheus-unit"
  mkdir -p "${rules_dir}"
  if "${helm}" template "${release}" "${chart}" "${default_image[@]}" --set prometheusRule.enabled=true \
      --namespace "${namespace}" >"${rules_dir}/rendered.yaml" \
      && extract_rules "${rules_dir}/rendered.yaml" "${rules_dir}/prometheus-rules.yaml" >/dev/null; then
    cp "${repo_root}/tests/helm/prometheus-rules.test.yaml" "${rules_dir}/"
    "${promtool}" test rules "${rules_dir}/prometheus-rules.test.yaml" || fail "promtool test rules"
  else
    fail "rendering the default PrometheusRule"
  fi
fi

# The model sync script of ci/values-model-sync.yaml, run as the sidecar would (sh, once) against
# a local directory standing in for the bucket (rclone treats a plain path as a remote).
echo "== model sync script"
if ! command -v rclone >/dev/null 2>&1 || ! ${have_pyyaml}; then
  echo "rclone or PyYAML not found: model sync script check skipped (Debian: apt-get install rclone)"
elif ! "${repo_root}/tests/helm/model-sync-check.sh" "${out_dir}/values-model-sync.yaml" "${out_dir}/model-sync"; then
  fail "model sync script"
fi

# Values that must be refused (schema and template guards), each with the chart's message.
expect_refused() {
  local what="$1" message="$2"
  shift 2
  local output
  if output="$("${helm}" template "${release}" "${chart}" --namespace "${namespace}" "$@" 2>&1)"; then
    fail "accepted ${what}: $*"
  elif [[ "${output}" != *"${message}"* ]]; then
    fail "refused ${what} without the message '${message}': ${output}"
  else
    echo "refused as expected: ${what}"
  fi
}
echo "== guards"
expect_refused "the chart defaults without an image repository" "image.repository is required"
i=("${default_image[@]}")
expect_refused "a misspelt key" "Additional property enabeld" "${i[@]}" --set gpu.enabeld=true
expect_refused "a misspelt key in a new section" "Additional property enable " "${i[@]}" --set tls.public.enable=true
expect_refused "an unknown autoscaling mode" "autoscaling.mode" "${i[@]}" --set autoscaling.mode=vpa
expect_refused "a grace period shorter than preStop + drain" "must exceed" "${i[@]}" --set lifecycle.terminationGracePeriodSeconds=20
expect_refused "a PVC source without a claim" "models.source=pvc needs" "${i[@]}" --set models.source=pvc
expect_refused "the Prometheus latency source without a URL" "needs serving.allocator.prometheusUrl" "${i[@]}" --set serving.allocator.latencySource=Prometheus
expect_refused "minReplicas above maxReplicas" "exceeds autoscaling.maxReplicas" "${i[@]}" --set autoscaling.mode=keda --set autoscaling.minReplicas=5 --set autoscaling.maxReplicas=3
expect_refused "an admin port equal to a public port" "four different ports" "${i[@]}" --set ports.admin=8080
expect_refused "an unknown reflection setting" "admin.reflection" "${i[@]}" --set admin.reflection=Public
expect_refused "both an existing and a created token Secret" "not both" "${i[@]}" --set admin.token.create=true --set admin.token.existingSecret=mine
expect_refused "a token value without create" "admin.token.value is only used" "${i[@]}" --set admin.token.value=secret
expect_refused "the admin token in the ConfigMap" "must not go into the ConfigMap" "${i[@]}" --set config.Serving__Admin__Token=secret
expect_refused "a ServiceMonitor without the admin Service" "serviceMonitor.enabled needs adminService.enabled" "${i[@]}" --set serviceMonitor.enabled=true --set adminService.enabled=false
expect_refused "a NetworkPolicy peer with a misspelt key" "Additional property podSelectr" "${i[@]}" --set-json 'networkPolicy.admin.from=[{"podSelectr":{}}]'
expect_refused "TLS without a Secret" "tls.public.enabled needs tls.public.secretName" "${i[@]}" --set tls.public.enabled=true
expect_refused "mTLS without admin TLS" "needs tls.admin.enabled" "${i[@]}" --set tls.admin.clientAuth.enabled=true --set tls.admin.clientAuth.caSecretName=ca
expect_refused "mTLS with two CA sources" "exactly one of caSecretName and caConfigMapName" "${i[@]}" --set tls.admin.enabled=true --set tls.admin.secretName=adm --set tls.admin.clientAuth.enabled=true --set tls.admin.clientAuth.caSecretName=ca --set tls.admin.clientAuth.caConfigMapName=ca
expect_refused "mTLS with a ServiceMonitor that has no client certificate" "needs serviceMonitor.tlsConfig.cert" "${i[@]}" --set tls.admin.enabled=true --set tls.admin.secretName=adm --set tls.admin.clientAuth.enabled=true --set tls.admin.clientAuth.caSecretName=ca --set serviceMonitor.enabled=true
expect_refused "a shared volume source without a claim" "models.source=sharedVolume needs" "${i[@]}" --set models.source=sharedVolume
expect_refused "a sync source without an image" "models.source=sync needs models.sync.image" "${i[@]}" --set models.source=sync --set-json 'models.sync.command=["sh"]'
expect_refused "a sync source without a command" "models.source=sync needs models.sync.command" "${i[@]}" --set models.source=sync --set models.sync.image.repository=rclone/rclone --set models.sync.image.tag=1.68
expect_refused "a negative poll interval" "pollIntervalSeconds" "${i[@]}" --set models.pollIntervalSeconds=-1
expect_refused "a GRPCRoute without a Gateway" "gatewayApi.grpcRoute.enabled needs gatewayApi.grpcRoute.parentRefs" "${i[@]}" --set gatewayApi.grpcRoute.enabled=true
expect_refused "a refused-share threshold above 1" "threshold" "${i[@]}" --set prometheusRule.enabled=true --set prometheusRule.alerts.refusedShare.threshold=5
expect_refused "an unknown anti-affinity mode" "podAntiAffinity.mode" "${i[@]}" --set podAntiAffinity.mode=strict

if ((failures > 0)); then
  echo "helm-check: ${failures} failure(s)" >&2
  exit 1
fi
echo "helm-check: ${#values_sets[@]} values sets linted and rendered into ${out_dir}"
