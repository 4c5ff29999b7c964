#!/usr/bin/env bash
# Runs the model sync script of a rendered values set (the model-sync sidecar's `sh -c` script) the
# way the init container does (MODEL_SYNC_ONCE=true), against a local directory that stands in for
# the bucket: rclone treats a plain path as a remote. Checks that complete versions arrive whole,
# that unmarked ones do not, that a changed config.json is replaced, that a version gone from the
# bucket is removed but a model's last version is kept, and that an unreachable bucket fails the
# pass without touching the repository.
#
#   tests/helm/model-sync-check.sh RENDERED.yaml WORK_DIR
set -euo pipefail
rendered="$1"
work="$2"
rm -rf "${work}"
mkdir -p "${work}/bucket" "${work}/repository"
script="${work}/sync.sh"
python3 - "${rendered}" "${script}" <<'PY'
import sys, yaml
dep = next(d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "Deployment")
c = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "model-sync")
assert c["command"][:2] == ["sh", "-c"], c["command"]
open(sys.argv[2], "w").write(c["command"][2])
PY

bucket="${work}/bucket"
repo="${work}/repository"
export MODEL_REMOTE="${bucket}" MODEL_REPOSITORY="${repo}" MODEL_STAGING="${repo}/.staging" \
  MODEL_SYNC_ONCE=true RCLONE_CONFIG=/dev/null HOME="${work}"
problems=0
expect() { # description, test command...
  local what="$1"
  shift
  if "$@"; then echo "ok: ${what}"; else echo "FAIL: ${what}" >&2; problems=$((problems + 1)); fi
}
sync_pass() { sh "${script}" 2>>"${work}/sync.log"; }

# The pipeline's layout: <model>/config.json, <model>/<version>/..., and a marker written last.
put_version() { # model version [marker]
  mkdir -p "${bucket}/$1/$2"
  echo "$1 v$2" >"${bucket}/$1/$2/model.onnx"
  echo '{}' >"${bucket}/$1/$2/fixture.json"
  if [[ "${3:-}" == marked ]]; then touch "${bucket}/$1/$2/.complete"; fi
}
mkdir -p "${bucket}/ctr"
echo '{"name": "ctr", "v": 1}' >"${bucket}/ctr/config.json"
put_version ctr 1 marked
put_version ctr 2            # still uploading: no marker
mkdir -p "${bucket}/ctr/tmp-upload"

expect "first pass succeeds" sync_pass
expect "a marked version arrives whole" test -f "${repo}/ctr/1/model.onnx" -a -f "${repo}/ctr/1/fixture.json"
expect "the marker is not copied" test ! -e "${repo}/ctr/1/.complete"
expect "an unmarked version does not arrive" test ! -e "${repo}/ctr/2"
expect "a non-numeric folder is ignored" test ! -e "${repo}/ctr/tmp-upload"
expect "the config arrives" cmp -s "${bucket}/ctr/config.json" "${repo}/ctr/config.json"
expect "nothing is left in staging" test -z "$(find "${repo}/.staging" -mindepth 2 -type f)"

touch "${bucket}/ctr/2/.complete"
rm -rf "${bucket}/ctr/1"
echo '{"name": "ctr", "v": 2}' >"${bucket}/ctr/config.json"
expect "second pass succeeds" sync_pass
expect "the finished version arrives" test -f "${repo}/ctr/2/model.onnx"
expect "the version gone from the bucket is removed" test ! -e "${repo}/ctr/1"
expect "the changed config replaces the old one" cmp -s "${bucket}/ctr/config.json" "${repo}/ctr/config.json"

rm -rf "${bucket}/ctr/2"
expect "third pass succeeds" sync_pass
expect "a model's last version is kept when the bucket has none" test -f "${repo}/ctr/2/model.onnx"

before="$(find "${repo}" | sort)"
if MODEL_REMOTE="${work}/no-such-bucket" sync_pass; then
  echo "FAIL: a pass against a missing bucket succeeded" >&2
  problems=$((problems + 1))
else
  echo "ok: a missing bucket fails the pass"
fi
expect "a failed pass leaves the repository as it was" test "${before}" == "$(find "${repo}" | sort)"

if ((problems > 0)); then
  echo "model sync script: ${problems} problem(s); its log: ${work}/sync.log" >&2
  exit 1
fi
echo "model sync script: every check passed"
