#!/usr/bin/env bash
# `gazette build` after a document is published (the newest of the library), with
# `.gazette-cache/` and the output kept: the build's stages, its wall, CPU and peak RSS,
# and how many output files it changed (what a deploy uploads). Binaries alternate, each
# in a fresh copy of the corpus (a cold build first, not counted).
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
trap 'rm -rf "$work"' EXIT
for bin in "${bins[@]}"; do
  rm -rf "$work"; mkdir -p "$work"; cp -r "$src" "$work/site"
  "$bin" build --root "$work/site" -o "$work/out" --date 2026-01-01 >/dev/null 2>&1
  # The library's first document, copied without its id, numbers and relations, dated
  # after every generated one (all are published by 2025).
  first=$(find "$work/site/content/documents" -name '*.md' | sort | sed -n 1p)
  sed -e "/^\(id\|doc_number\|index_number\|basis\|supporting\|related\):/d" \
    -e "s/^published: .*/published: 2025-12-31/" -e 's/^title: "/title: "今日 /' \
    "$first" >"$(dirname "$first")/zz-today.md"
  (cd "$work/out" && find . -type f -printf '%p %T@\n' | sort >"$work/before")
  echo "== $bin"
  /usr/bin/time -f "%e s wall, %U s user, %M KB peak" "$bin" build --root "$work/site" -o "$work/out" \
    --date 2026-01-01 --timings 2>&1 | grep -E "^ *[a-z +]+: +[0-9]|^built|KB peak$"
  (cd "$work/out" && find . -type f -printf '%p %T@\n' | sort >"$work/after")
  echo "files changed: $(comm -13 "$work/before" "$work/after" | wc -l)"
done
