#!/usr/bin/env bash
# Lints the .proto contracts with buf (the npm package @bufbuild/buf, installed into .tools/buf on
# first use) against src/Serving.Contracts/buf.yaml. The ranking and admin protos import
# google/api/annotations.proto; it comes from the Google.Api.CommonProtos NuGet package the
# contracts project restores, so the lint runs on a copy laid out as buf.yaml's two modules.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
buf_version="${BUF_NPM_VERSION:-1.75.0}"
tools_dir="${repo_root}/.tools/buf"
buf="${tools_dir}/node_modules/.bin/buf"
log() { printf 'proto-lint: %s\n' "$*" >&2; }

if [[ ! -x "${buf}" ]] || [[ "$("${buf}" --version 2>/dev/null)" != "${buf_version}" ]]; then
  command -v npm >/dev/null 2>&1 || { log "npm is needed to install @bufbuild/buf"; exit 2; }
  log "installing @bufbuild/buf ${buf_version} into ${tools_dir}"
  mkdir -p "${tools_dir}"
  npm install --silent --no-audit --no-fund --prefix "${tools_dir}" "@bufbuild/buf@${buf_version}" >&2
fi

contracts="${repo_root}/src/Serving.Contracts"
common_version="$(sed -nE 's/.*Include="Google.Api.CommonProtos" Version="([^"]+)".*/\1/p' "${repo_root}/Directory.Packages.props")"
packages="${NUGET_PACKAGES:-${HOME}/.nuget/packages}"
google_api="${packages}/google.api.commonprotos/${common_version}/content/protos/google/api"
if [[ ! -f "${google_api}/annotations.proto" ]]; then
  dotnet restore "${contracts}/Serving.Contracts.csproj" -v quiet >&2
fi
[[ -f "${google_api}/annotations.proto" ]] || { log "google/api/annotations.proto not found under ${google_api}"; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cp -r "${contracts}/Protos" "${work}/protos"
mkdir -p "${work}/third_party/google/api"
cp "${google_api}/annotations.proto" "${google_api}/http.proto" "${work}/third_party/google/api/"
cp "${contracts}/buf.yaml" "${work}/buf.yaml"
(cd "${work}" && "${buf}" lint)
log "buf lint passed ($(cd "${contracts}/Protos" && find . -name '*.proto' | wc -l) files)"
