#!/usr/bin/env bash
# Installs the official Tencent Cloud clients that tests/tests/official_clients.rs drives against
# scf-local, at pinned versions, into target/official-clients/ (never committed):
#   python/  a venv with tccli and the Python SDK (tccli depends on the full SDK, so one install
#            serves both)
#   node/    the Node.js SDK for SCF (npm --prefix)
# Idempotent: when the stamp file names the same versions, it does nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."

# tccli matches the version `cargo xtask spec-diff` reads (xtask/src/tccli.rs).
TCCLI_VERSION=3.1.189.1
PYTHON_SDK_VERSION=3.1.189
NODE_SCF_VERSION=4.1.151
NODE_COMMON_VERSION=4.1.220

root=target/official-clients
stamp="$root/stamp"
wanted="tccli==$TCCLI_VERSION tencentcloud-sdk-python==$PYTHON_SDK_VERSION tencentcloud-sdk-nodejs-scf@$NODE_SCF_VERSION tencentcloud-sdk-nodejs-common@$NODE_COMMON_VERSION"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] \
  && [ -x "$root/python/bin/tccli" ] && [ -d "$root/node/node_modules/tencentcloud-sdk-nodejs-scf" ] \
  && "$root/python/bin/python" -c 'import tencentcloud.scf.v20180416.scf_client, tccli' 2>/dev/null; then
  echo "official clients already installed in $root ($wanted)"
  exit 0
fi

command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm (Node.js) is required" >&2; exit 1; }

rm -rf "$root"
mkdir -p "$root"

echo "installing tccli $TCCLI_VERSION and tencentcloud-sdk-python $PYTHON_SDK_VERSION into $root/python"
python3 -m venv "$root/python"
"$root/python/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  "tccli==$TCCLI_VERSION" "tencentcloud-sdk-python==$PYTHON_SDK_VERSION"

echo "installing tencentcloud-sdk-nodejs-scf $NODE_SCF_VERSION into $root/node"
mkdir -p "$root/node"
printf '{ "name": "scf-rs-official-clients", "private": true }\n' >"$root/node/package.json"
npm install --prefix "$root/node" --no-audit --no-fund --loglevel=error --save-exact \
  "tencentcloud-sdk-nodejs-scf@$NODE_SCF_VERSION" "tencentcloud-sdk-nodejs-common@$NODE_COMMON_VERSION"

printf '%s\n' "$wanted" >"$stamp"
echo "official clients installed in $root"
