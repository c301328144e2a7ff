#!/usr/bin/env bash
# Two gazette binaries side by side, in one run: cold builds (no previous output, no build
# cache) of generated corpora, alternating old and new so the machine's noise falls on
# both, on tmpfs (/dev/shm: the CPU floor) and on the disk (ext4 here: file creation
# included). Prints the median of the render stage and of the whole build
# (`--timings`), and the peak RSS, as a Markdown table.
#
#   bench/compare-speed.sh OLD_BINARY NEW_BINARY [RUNS] [SIZES...]   default: 5 runs, 10000
#   DISKS="tmpfs" bench/compare-speed.sh ...                         one kind of disk only
#
# See bench/compare-outputs.sh for building an old binary from an earlier commit.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,10p "$0"; exit 2; }
old=$(realpath "$1")
new=$(realpath "$2")
runs=${3:-5}
shift 2
[ $# -gt 0 ] && shift
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000)
work=${COMPARE_DIR:-target/compare}
mkdir -p "$work"

stat_of() { # binary site out stage -> "render_ms total_ms peak_mb"
  local bin=$1 site=$2 out=$3
  rm -rf "$out" "$site/.gazette-cache"
  sync
  "$bin" build --root "$site" -o "$out" --date 2026-01-01 --timings 2>&1 |
    awk '/ render:/ {r=$2} / total:/ {t=$2; m=$6} END {print r, t, m}'
}

echo "| corpus | disk | binary | render (median) | total (median) | peak RSS |"
echo "|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  corpus="$work/c$n"
  [ -f "$corpus/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$corpus" >/dev/null
  find "$corpus/content" -type f -exec cat {} + >/dev/null # warm the page cache
  for disk in ${DISKS:-tmpfs ext4}; do
    if [ "$disk" = tmpfs ]; then out=/dev/shm/gazette-compare-out; else out="$work/out"; fi
    : >"$work/old.txt"
    : >"$work/new.txt"
    for _ in $(seq "$runs"); do
      stat_of "$old" "$corpus" "$out" >>"$work/old.txt"
      stat_of "$new" "$corpus" "$out" >>"$work/new.txt"
    done
    rm -rf "$out"
    for which in old new; do
      python3 - "$work/$which.txt" "$n" "$disk" "$which" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
r = statistics.median(float(x[0]) for x in rows)
t = statistics.median(float(x[1]) for x in rows)
m = max(int(x[2]) for x in rows)
print(f"| {sys.argv[2]} | {sys.argv[3]} | {sys.argv[4]} | {r:.0f} ms | {t:.0f} ms | {m} MB |")
PY
    done
  done
done
