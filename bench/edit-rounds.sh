#!/usr/bin/env bash
# `gazette build` after one body edit and with nothing changed, two binaries alternated
# over several rounds, each in its own copy of a corpus (a binary's caches are its own:
# alternating in one copy would rebuild everything each time). Prints, per round and
# binary, wall seconds and peak RSS of the unchanged build, then of the build after one
# document's body changed.
#
#   bench/edit-rounds.sh A_BINARY B_BINARY [ROUNDS] [SIZE]     ROUNDS: 3, SIZE: 100000
#   WORK=/dev/shm/gazette-rounds (default; on tmpfs)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,9p "$0"; exit 2; }
a=$(realpath "$1"); b=$(realpath "$2"); rounds=${3:-3}; n=${4:-100000}
src=target/bench/c$n
[ -f "$src/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$src" >/dev/null
work=${WORK:-/dev/shm/gazette-rounds}
trap 'rm -rf "$work"' EXIT
for w in a b; do rm -rf "$work/$w"; mkdir -p "$work/$w"; cp -r "$src" "$work/$w/site"; done
# Wall seconds and peak RSS of one build of copy $2 by binary $1.
run() {
  local tf; tf=$(mktemp)
  /usr/bin/time -o "$tf" -f "%e %M" "$1" build --root "$work/$2/site" -o "$work/$2/public" --date 2026-01-01 \
    >/dev/null 2>&1 || true
  awk '{printf "%.2f s, %d MB", $1, $2 / 1024}' "$tf"; rm -f "$tf"
}
echo "cold: A $(run "$a" a), B $(run "$b" b)"
for i in $(seq "$rounds"); do
  for w in a b; do
    bin=$a; [ $w = b ] && bin=$b
    same=$(run "$bin" $w)
    doc=$(find "$work/$w/site/content/documents" -name '*.md' | sort | sed -n 7p)
    printf '\n\n新增的一段正文%s。\n' "$i" >> "$doc"
    echo "round $i ${w^^}: unchanged $same | one body edited $(run "$bin" $w)"
  done
done
