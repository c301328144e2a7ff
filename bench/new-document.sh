#!/usr/bin/env bash
# `gazette build` after a document is published (dated today, the newest of the
# library), with `.gazette-cache/` and the output kept: the build's stages, its wall, CPU
# and peak RSS, and how many output files it changed (what a deploy uploads). Binaries
# alternate, each in a fresh copy of the corpus (a cold build first, not counted).
#
#   bench/new-document.sh BINARY… [-- SIZE]       SIZE: 100000
#   WORK=/dev/shm/gazette-newdoc (default, tmpfs; put it under target/ for ext4)
set -euo pipefail
cd "$(dirname "$0")/.."
bins=(); n=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --) n=$2; shift 2 ;;
    *) bins+=("$(realpath "$1")"); shift ;;
  esac
done
[ ${#bins[@]} -ge 1 ] || { sed -n 2,8p "$0"; exit 2; }
src=target/bench/c$n
[ -f "$src/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$src" >/dev/null
work=${WORK:-/dev/shm/gazette-newdoc}
. bench/serve-lib.sh # first_document, add_today
trap 'rm -rf "$work"' EXIT
today=$(date +%F)
for bin in "${bins[@]}"; do
  rm -rf "$work"; mkdir -p "$work"; cp -r "$src" "$work/site"
  "$bin" build --root "$work/site" -o "$work/out" --date "$today" >/dev/null 2>&1
  add_today "$(first_document)" 1
  (cd "$work/out" && find . -type f -printf '%p %T@\n' | sort >"$work/before")
  echo "== $bin"
  /usr/bin/time -f "%e s wall, %U s user, %M KB peak" "$bin" build --root "$work/site" -o "$work/out" \
    --date "$today" --timings 2>&1 | grep -E "^ *[a-z +]+: +[0-9]|^built|KB peak$"
  (cd "$work/out" && find . -type f -printf '%p %T@\n' | sort >"$work/after")
  echo "files changed: $(comm -13 "$work/before" "$work/after" | wc -l)"
done
