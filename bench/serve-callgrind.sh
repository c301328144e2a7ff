#!/usr/bin/env bash
# Instruction counts of serve --watch's rebuilds under callgrind: the same edits on the
# same corpus give the same counts run after run, where wall and CPU times on this
# machine vary by a third (two cores shared with whatever else runs). Use it to compare
# two binaries' rebuilds function by function; confirm a gain in time with
# bench/title-edits.sh or bench/edit-latency.py.
#
#   bench/serve-callgrind.sh BINARY EDIT N OUTFILE [SITE]     SITE: target/bench/c10000
#   EDIT: title, date, far-date, new-today, interp, faq, organ or template (see
#   bench/serve-lib.sh; the first template edit, not counted, makes the site's own copy)
#
# Starts serve under valgrind with instrumentation off (the first build runs ~5x slower,
# not ~50x), makes one edit that is not counted, switches instrumentation on, makes N
# edits (each rebuild takes 5-10 s at 10k), and dumps the counts to OUTFILE.1. Read them with
# `callgrind_annotate OUTFILE.1` (self cost) or `--inclusive=yes`.
set -euo pipefail
bin=$(realpath "$1"); kind=$2; n=$3; out=$(realpath -m "$4"); src=$(realpath "${5:-target/bench/c10000}")
cd "$(dirname "$0")/.."
. bench/serve-lib.sh
# valgrind's control pipes: not in TMPDIR, which serve_start points at the work folder.
vgdb=$(mktemp -d /tmp/gazette-vgdb.XXXXXX)/vgdb
wrap=$(mktemp /tmp/gazette-callgrind.XXXXXX)
printf '#!/bin/sh\nexec valgrind --vgdb-prefix=%s --tool=callgrind --instr-atstart=no --callgrind-out-file=%s %s "$@"\n' \
  "$vgdb" "$out" "$bin" >"$wrap"
chmod +x "$wrap"
SERVE_ARGS=--timings serve_start "$wrap" "$src"
port=$(grep -o "serving at http://127.0.0.1:[0-9]*" "$work/log" | grep -o "[0-9]*$")
f=$(first_document)
edit() {
  case "$kind" in
    title) edit_title "$f" "$1" ;; date) edit_date "$f" "$2" ;; far-date) edit_far_date "$f" "$2" ;;
    new-today) add_today "$f" "$1" ;;
    interp) add_interp "$f" "$1" ;; faq) add_faq "$f" "$1" ;; organ) edit_organ "$f" "$1" ;;
    template) edit_template "$1" ;;
    *) echo "EDIT is title, date, far-date, new-today, interp, faq, organ or template" >&2; exit 2 ;;
  esac
}
builds() { grep -c 'rebuilt in\|build failed' "$work/log" || true; }
wait_build() { for _ in $(seq 1200); do [ "$(builds)" -gt "$1" ] && return; sleep 0.5; done; }
# A control command is read when the process next runs code: a request wakes it.
control() {
  callgrind_control --vgdb-prefix="$vgdb" "$@" "$pid" >/dev/null 2>&1 &
  local c=$!
  sleep 0.5
  curl -s "http://127.0.0.1:$port/" >/dev/null || true
  wait "$c"
}
b=$(builds); edit w0 20; wait_build "$b"; sleep 3
control --instr=on
control --zero
for i in $(seq "$n"); do
  b=$(builds); edit "$i" "$i"; wait_build "$b"; sleep 3
done
control --dump
grep "rebuilt in" "$work/log" | tail -n "$n"
echo "counts: $out.1"
