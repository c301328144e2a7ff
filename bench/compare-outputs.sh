#!/usr/bin/env bash
# Prove a refactor: build the same sites with two gazette binaries and compare every
# output file byte for byte. Sites: the demo library (repo root), a fresh `gazette init`
# site, and generated corpora of ../shared/bench/gen_corpus.py.
#
#   bench/compare-outputs.sh OLD_BINARY NEW_BINARY [SIZES...]     default sizes: 1000 10000
#
# Typical use, the last commit against the work tree:
#   git worktree add /tmp/gz-old HEAD~1 && (cd /tmp/gz-old && cargo build --release)
#   cargo build --release
#   bench/compare-outputs.sh /tmp/gz-old/target/release/gazette target/release/gazette
#
# Both builds use a fixed date and no build cache of an earlier run (fresh output
# folders, .gazette-cache removed), so any difference is the binaries'. Exits 1 and lists
# the differing files when the outputs differ.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,14p "$0"; exit 2; }
old=$(realpath "$1")
new=$(realpath "$2")
shift 2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
work=${COMPARE_DIR:-target/compare}
mkdir -p "$work"
date=2026-01-01
status=0

compare() { # label, site root, extra build args...
  local label=$1 site=$2
  shift 2
  rm -rf "$work/old-out" "$work/new-out" "$site/.gazette-cache"
  "$old" build --root "$site" -o "$work/old-out" --date "$date" "$@" >/dev/null 2>"$work/old.err" || true
  rm -rf "$site/.gazette-cache"
  "$new" build --root "$site" -o "$work/new-out" --date "$date" "$@" >/dev/null 2>"$work/new.err" || true
  rm -rf "$site/.gazette-cache"
  # The summary names the output folder; the rest of stderr must match.
  sed -i "s#$work/old-out#OUT#g" "$work/old.err"
  sed -i "s#$work/new-out#OUT#g" "$work/new.err"
  if ! diff -q "$work/old.err" "$work/new.err" >/dev/null; then
    echo "DIFF $label: diagnostics differ"
    diff "$work/old.err" "$work/new.err" | head -20 || true
    status=1
  fi
  local files
  files=$(cd "$work/old-out" 2>/dev/null && find . -type f | wc -l || echo 0)
  if diff -r -q "$work/old-out" "$work/new-out" >"$work/diff-$label.txt" 2>&1; then
    echo "same $label: $files files identical"
  else
    echo "DIFF $label: $(wc -l <"$work/diff-$label.txt") files differ (list in $work/diff-$label.txt)"
    head -5 "$work/diff-$label.txt" || true
    status=1
  fi
}

compare demo "$PWD"
compare demo-base-path "$PWD" --base-url https://www.example.gov.cn/gongbao/
rm -rf "$work/init"
"$new" init "$work/init" >/dev/null 2>&1
compare init "$work/init"
for n in "${sizes[@]}"; do
  corpus="$work/c$n"
  [ -f "$corpus/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$corpus" >/dev/null
  compare "corpus-$n" "$corpus"
done
rm -rf "$work/old-out" "$work/new-out"
exit $status
