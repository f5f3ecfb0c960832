#!/usr/bin/env bash
# End-to-end check of the extension in VS Code (code-server 4.100.3 = VS Code 1.100, the last that
# runs on Node 20) driven by headless chromium, against a built server:
#   editors/vscode/test/code-server/run.sh [path/to/ibid]
# Opens a copy of examples/ at notes/briefing.md; expects ibid's diagnostics in the Problems panel
# (an `unknown-source` row), the diagnostic and the server's hover on the misquote, a hover on
# @halden2021 with the squiggles in view, go to definition from a quotation to its source line and
# the misquote's quick fix (see drive.js). Env: SHOT=path.png saves the citation hover screenshot,
# DIAGNOSTIC_SHOT=path.png the diagnostic hover with the Problems panel (default: the scratch
# folder; both are reduced to 256 colours with pngquant when it is installed); BASIC=1 stops after
# the two hovers (for a stand-in server: see stand_in.py);
# CS_CACHE (default /tmp/ibid-code-server) keeps code-server (~300 MB, ~1.5 min to install from npm)
# and playwright-core between runs. Needs: node, npm, curl, chromium, ripgrep (and libkrb5-dev to
# build code-server): apt-get install -y chromium ripgrep libkrb5-dev.
# Not for CI: slow to install, and it needs a browser. Overrides for drive.js: see its header.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ext=$(cd "$here/../.." && pwd)
repo=$(cd "$ext/../.." && pwd)
server=$(realpath "${1:-$repo/target/debug/ibid}")
cache=${CS_CACHE:-/tmp/ibid-code-server}
port=${CS_PORT:-8765}
[ -x "$server" ] || { echo "no ibid binary at $server (cargo build first)" >&2; exit 1; }
for tool in node npm curl rg; do command -v $tool >/dev/null || { echo "$tool is missing" >&2; exit 1; }; done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium is missing (apt-get install -y chromium)" >&2; exit 1; }
start=$(date +%s)

cs=$cache/cs/node_modules/.bin/code-server
if [ ! -x "$cs" ]; then
  echo "== installing code-server 4.100.3 into $cache/cs"
  mkdir -p "$cache/cs" "$cache/tmp/vscode-ripgrep-cache-1.15.11" "$cache/tmp/rg"
  # @vscode/ripgrep's postinstall downloads rg from GitHub: give it Debian's instead.
  cp "$(command -v rg)" "$cache/tmp/rg/rg"
  tar czf "$cache/tmp/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$cache/tmp/rg" rg
  echo '{"name":"cs","private":true,"allowScripts":{"code-server":true}}' > "$cache/cs/package.json"
  # unsafe_perm: its postinstall refuses root otherwise; yes: node-pty's postinstall runs `npx node-gyp`.
  (cd "$cache/cs" && TMPDIR=$cache/tmp npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund code-server@4.100.3)
fi
if [ ! -d "$cache/pw/node_modules/playwright-core" ]; then
  mkdir -p "$cache/pw" && echo '{"name":"pw","private":true}' > "$cache/pw/package.json"
  (cd "$cache/pw" && npm install --no-audit --no-fund playwright-core@1)
fi

vsix=$(ls "$ext"/ibid-*.vsix 2>/dev/null | head -1 || true)
if [ -z "$vsix" ]; then
  (cd "$ext" && npm ci --no-audit --no-fund && npm run --silent package)
  vsix=$(ls "$ext"/ibid-*.vsix | head -1)
fi

scratch=$(mktemp -d)
data=$scratch/data
cp -r "$repo/examples" "$scratch/ws"
mkdir -p "$data/user/User" "$data/ext"
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" > "$data/config.yaml"
cat > "$data/user/User/settings.json" <<JSON
{
  "workbench.startupEditor": "none", "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off", "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false, "update.mode": "none", "workbench.colorTheme": "Default Light Modern",
  "editor.stickyScroll.enabled": false, "editor.occurrencesHighlight": "off",
  "ibid.server.path": "$server"
}
JSON
export XDG_CONFIG_HOME=$data/xdg-config XDG_DATA_HOME=$data/xdg-data TMPDIR=$scratch
args=(--config "$data/config.yaml" --user-data-dir "$data/user" --extensions-dir "$data/ext")
"$cs" "${args[@]}" --install-extension "$vsix" --force
# setsid: its file watchers outlive the main process, so the whole group is killed at the end.
setsid "$cs" "${args[@]}" --disable-telemetry --disable-update-check --disable-workspace-trust \
  "$scratch/ws" > "$scratch/code-server.log" 2>&1 &
group=$!
cleanup() { kill -- -"$group" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.5; done

status=0
URL="http://127.0.0.1:$port/?folder=$scratch/ws" OUT=$scratch PLAYWRIGHT=$cache/pw/node_modules/playwright-core \
  node "$here/drive.js" || status=$?
if command -v pngquant >/dev/null; then
  for shot in "${SHOT:-}" "${DIAGNOSTIC_SHOT:-}"; do
    [ -n "$shot" ] && [ -f "$shot" ] && pngquant --quality 80-100 --speed 1 -f -o "$shot" "$shot" || true
  done
fi
# The "ibid" output channel, as code-server saved it.
log=$(find "$data/user/logs" -name '*-ibid.log' | head -1)
echo "== ibid output channel (${log:-not found})"
[ -n "$log" ] && sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -v '^ *\(at \|[0-9]*: \)' | tail -n 40
if [ -z "$log" ] || ! grep -q "server running" "$log"; then
  echo "FAIL: the extension did not start the server"
  status=1
elif [ "${BASIC:-}" != 1 ] && [ "$(grep -c "server running" "$log")" -lt 2 ]; then
  echo "FAIL: ibid: Restart server did not start a second server"
  status=1
fi
echo "code-server e2e: $( ((status == 0)) && echo PASS || echo FAIL) in $(($(date +%s) - start)) s; files in $scratch"
exit $status
