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
work=$(mktemp -d "${TMPDIR:-/tmp}/gazette-title-edits.XXXXXX")
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$src" "$work/site"; rm -rf "$work/site/public" "$work/site/.gazette-cache"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --watch --port "$port" --root "$work/site" -o "$work/out" >"$work/serve.log" 2>&1 &
pid=$!
until grep -q "serving at" "$work/serve.log" 2>/dev/null; do sleep 0.5; done
sleep 1
f=$(find "$work/site/content/documents" -name "*.md" | sort | sed -n 1p)
if [ -n "${PERF:-}" ]; then
  perf record -e cpu-clock -F 300 --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" 2>/dev/null &
  perf_pid=$!
fi
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
t0=$(ticks)
for i in $(seq "$edits"); do
  python3 - "$f" "$i" <<'PY'
import re, sys
p, i = sys.argv[1], sys.argv[2]
s = open(p, encoding="utf-8").read()
s = re.sub(r'^title: "(.*)"', lambda m: f'title: "{m.group(1)}改{i}"', s, count=1, flags=re.M)
open(p, "w", encoding="utf-8").write(s)
PY
  sleep 2.5
done
t1=$(ticks)
if [ -n "${PERF:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; trap 'kill $pid 2>/dev/null || true' EXIT; echo "profile: $work/perf.data"; fi
echo "cpu $((t1 - t0)) ticks over $edits edits"
grep -o "rebuilt in [0-9]* ms" "$work/serve.log" | tail -n "$edits"
