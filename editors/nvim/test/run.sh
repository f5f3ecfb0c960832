#!/usr/bin/env bash
# Runs the headless Neovim end-to-end test against a built ibid binary:
#   editors/nvim/test/run.sh [path/to/ibid]
# Scenarios: the bundled example workspace, and a scratch workspace over ../shared/corpus.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
bin=$(realpath "${1:-$repo/target/debug/ibid}")
command -v nvim >/dev/null || { echo "nvim is not installed (apt-get install -y neovim)" >&2; exit 1; }
[ -x "$bin" ] || { echo "no ibid binary at $bin (cargo build first)" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

run() {
  local scenario=$1 note=$2
  echo "== nvim e2e: $scenario"
  IBID_BIN="$bin" NOTE="$note" SCENARIO="$scenario" HOME="$scratch" \
    timeout 120 nvim --headless -u NONE -i NONE --cmd "set rtp+=$repo/editors/nvim" \
    -c "luafile $here/e2e.lua"
}

# The example, copied so that the quick fix edits a copy (nothing is saved, but be safe).
cp -r "$repo/examples" "$scratch/example"
run example "$scratch/example/notes/briefing.md"

# A workspace over the sample corpus, with a note written here (phrases, not the corpus's sentences).
mkdir -p "$scratch/corpus-ws/notes"
ln -s "$repo/../shared/corpus" "$scratch/corpus-ws/corpus"
cat > "$scratch/corpus-ws/notes/terms.md" <<'NOTE'
# Terms to look up

The Shanghai Spirit comes up in several sources, as does the BRI.

Tsjeng calls it the "community with a shared future" of Chinese diplomacy [@tsjeng2024].

An invented line: "the summit agreed to merge every member's navy by next year" [@qiang2024].

A key nobody has [@nobody1999].
NOTE
run corpus "$scratch/corpus-ws/notes/terms.md"
