#!/usr/bin/env bash
# CPU and wall of serve --watch's rebuilds for repeated front-matter edits: the A/B
# check behind each serve change of session 7 (run it for two binaries alternately,
# several times: this machine is noisy).
#
#   bench/title-edits.sh BINARY [SITE] [EDITS]      SITE: target/bench/c10000, EDITS: 6
#   PERF=1 also records a profile (perf record --call-graph dwarf) into WORK/perf.data
#
# Copies SITE into a folder under $TMPDIR (use TMPDIR=/dev/shm/… for the CPU cost),
# starts `serve --watch`, then changes one document's title EDITS times, 2.5 s apart.
# Prints the CPU time the server used over the edits (1/100 s ticks, utime + stime from
# /proc) and each "rebuilt in" line.
set -euo pipefail
bin=$(realpath "$1"); src=$(realpath "${2:-target/bench/c10000}"); edits=${3:-6}
. "$(dirname "$0")/serve-lib.sh"
serve_start "$bin" "$src"
sleep 1
f=$(first_document)
if [ -n "${PERF:-}" ]; then
  perf record -e cpu-clock -F 300 --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" 2>/dev/null &
  perf_pid=$!
fi
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks)
for i in $(seq "$edits"); do
  edit_title "$f" "$i"
  sleep 2.5
done
t1=$(ticks)
if [ -n "${PERF:-}" ]; then
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  trap 'kill $pid 2>/dev/null || true' EXIT # keep the profile
  echo "profile: $work/perf.data"
fi
echo "cpu $((t1 - t0)) ticks over $edits edits"
grep -o "rebuilt in [0-9]* ms" "$work/log" | tail -n "$edits"
