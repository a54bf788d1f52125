#!/bin/sh
# Package the extension: `sh editors/vscode/build.sh [OUT.vsix]` (default vpclint.vsix here).
# vsce is installed in its own folder, outside this one, so that it never ends up in the
# .vsix; the extension's own dependency (vscode-languageclient) comes from package-lock.json.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/vpclint-$(node -p "require('$here/package.json').version").vsix}
tools=${VPCLINT_VSCE_DIR:-${TMPDIR:-/tmp}/vpclint-vsce}
mkdir -p "$tools"
[ -f "$tools/package.json" ] || echo '{"name":"vpclint-vsce","private":true}' >"$tools/package.json"
[ -x "$tools/node_modules/.bin/vsce" ] ||
  npm install --no-audit --no-fund --loglevel=error --prefix "$tools" @vscode/vsce@3.9.2 >/dev/null
cd "$here"
npm ci --no-audit --no-fund --loglevel=error --omit=dev >/dev/null
# The README's images are files of the package (images/): keep their links relative.
"$tools/node_modules/.bin/vsce" package --no-rewrite-relative-links --out "$out" >&2
echo "$out"
