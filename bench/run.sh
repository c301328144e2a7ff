#!/usr/bin/env bash
# Benchmark gazette against the floor (../shared/bench/floor: read + YAML + Markdown +
# write, nothing else) on the corpora of ../shared/bench/gen_corpus.py, in one run.
#
#   bench/run.sh [SIZES...]        default: 1000 10000 100000
#
# Prints wall time, CPU time (user+sys), peak RSS and pages/s for each tool and size, as a
# Markdown table (paste it into BENCHMARKS.md). Corpora are cached in target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared/bench
work=target/bench
mkdir -p "$work"
sizes=("${@:-1000 10000 100000}")
[ $# -gt 0 ] || sizes=(1000 10000 100000)

cargo build --release --quiet
cargo build --release --quiet --manifest-path "$shared/floor/Cargo.toml" --target-dir target/floor
floor=target/floor/release/floor
gazette=target/release/gazette

measure() { # label, pages, command...
  local label=$1 pages=$2; shift 2
  local tf
  tf=$(mktemp)
  sync; sleep 1   # flush the previous run's writes so they are not billed to this one
  /usr/bin/time -o "$tf" -f "%e %U %S %M" "$@" >/dev/null 2>&1
  read -r wall user sys rss <"$tf"
  rm -f "$tf"
  local cpu pps
  cpu=$(echo "$user + $sys" | bc)
  pps=$(echo "scale=0; $pages / $wall" | bc 2>/dev/null || echo "-")
  printf "| %s | %s | %.2f s | %.2f s | %d MB | %s |\n" "$label" "$pages" "$wall" "$cpu" $((rss / 1024)) "$pps"
}

echo "| tool / corpus | pages | wall | CPU | peak RSS | pages/s |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  corpus="$work/c$n"
  [ -f "$corpus/gazette.yaml" ] || python3 "$shared/gen_corpus.py" "$n" "$corpus" >/dev/null
  rm -rf "$work/floor-out" "$work/out-$n"
  # Warm the page cache so both tools read from memory.
  find "$corpus/content" -type f -exec cat {} + >/dev/null
  fpages=$("$floor" "$corpus" "$work/floor-out" 2>&1 | grep -o '^[^ ]* [0-9]* pages' | grep -o '[0-9]*' || echo "$n")
  rm -rf "$work/floor-out"
  measure "floor $n" "$fpages" "$floor" "$corpus" "$work/floor-out"
  gpages=$("$gazette" build --root "$corpus" -o "$work/out-$n" --date 2026-01-01 2>&1 | grep -o 'built [0-9]* pages' | grep -o '[0-9]*')
  rm -rf "$work/out-$n"
  measure "gazette $n" "$gpages" "$gazette" build --root "$corpus" -o "$work/out-$n" --date 2026-01-01
  # The same build again over its own output: nothing changed, so no file is rewritten.
  measure "gazette $n, rebuild unchanged" "$gpages" "$gazette" build --root "$corpus" -o "$work/out-$n" --date 2026-01-01
  # One document's body edited: the build cache renders that page only.
  doc=$(find "$corpus/content/documents" -name '*.md' | sort | sed -n 1p)
  cp "$doc" "$work/saved.md"
  printf '\n\n基准测试新增的一段正文。\n' >>"$doc"
  measure "gazette $n, rebuild after 1 body edit" "$gpages" "$gazette" build --root "$corpus" -o "$work/out-$n" --date 2026-01-01
  cp "$work/saved.md" "$doc"
  rm -rf "$work/floor-out"
done
echo
echo "gazette stage timings for the largest corpus (--timings):"
"$gazette" build --root "$work/c${sizes[-1]}" -o "$work/out-${sizes[-1]}" --date 2026-01-01 --timings 2>&1 | grep -v built
