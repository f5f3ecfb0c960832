#!/usr/bin/env bash
# Builds the VS Code extension from a clean install and checks the .vsix:
#   editors/vscode/test/package.sh
# npm ci → typecheck (tsc --noEmit) → unit tests (node --test) → bundle (esbuild) → package (vsce)
# → the .vsix must hold extension/dist/extension.js and extension/package.json.
# Needs Node ≥ 18 and npm, and the npm registry (nothing else). Exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
start=$(date +%s)
step() { echo "== $* ($(($(date +%s) - start)) s)"; }
trap 'status=$?; echo "package.sh: $( ((status == 0)) && echo ok || echo "FAILED (exit $status)") in $(($(date +%s) - start)) s"' EXIT

command -v node >/dev/null || { echo "node is not installed (apt-get install -y nodejs npm)" >&2; exit 1; }
command -v unzip >/dev/null || { echo "unzip is not installed (apt-get install -y unzip)" >&2; exit 1; }
echo "node $(node --version), npm $(npm --version 2>/dev/null)"

step "npm ci"
npm ci --no-audit --no-fund
step "typecheck"
npm run --silent typecheck
step "unit tests"
npm test --silent
step "build"
npm run --silent build
step "package"
rm -f ./*.vsix
npm run --silent package
vsix=$(ls ./*.vsix)
step "check $vsix"
listing=$(unzip -l "$vsix")
echo "$listing"
for entry in extension/dist/extension.js extension/package.json extension/readme.md; do
  grep -qiE "[[:space:]]$entry\$" <<<"$listing" || { echo "missing from $vsix: $entry" >&2; exit 1; }
done
# The bundle must load outside VS Code (with `vscode` stubbed) and export activate/deactivate.
node -e '
  const Module = require("module");
  const load = Module._load;
  const stub = () => new Proxy(function () {}, {
    get: (_, key) => (key === Symbol.toPrimitive ? () => "" : key === "prototype" ? {} : stub()),
    construct: () => stub(),
    apply: () => stub(),
  });
  Module._load = function (request, ...rest) {
    return request === "vscode" ? stub() : load.call(this, request, ...rest);
  };
  const extension = require("./dist/extension.js");
  for (const name of ["activate", "deactivate"]) {
    if (typeof extension[name] !== "function") { console.error(`dist/extension.js exports no ${name}`); process.exit(1); }
  }
'
echo "built $here/${vsix#./}"
