#!/usr/bin/env bash
# CPU and wall of serve --watch's rebuilds for repeated front-matter edits: the A/B
# check behind each serve change of session 7 (run it for two binaries alternately,
# several times: this machine is noisy).
#
#   bench/title-edits.sh BINARY [SITE] [EDITS]      SITE: target/bench/c10000, EDITS: 6
#   PERF=1 also records a profile (perf record --call-graph dwarf) into WORK/perf.data
#   WARM=N makes N edits first that are not counted (the first edits after the cold build
#   fault the process's new working set in); GAP=S seconds between edits (2.5)
#
# Copies SITE into a folder under $TMPDIR (use TMPDIR=/dev/shm/… for the CPU cost),
# starts `serve --watch`, then changes one document's title EDITS times, 2.5 s apart.
# Prints the CPU time the server used over the edits (1/100 s ticks, utime + stime from
# /proc), the minor page faults of each edit, each "rebuilt in" line and the median of
# each stage's time over the counted edits (serve --timings).
#   EDIT=date changes the document's publication date instead of its title (the edit
#   that moves it in every listing and in the search items' order; EDIT=far-date moves it
#   across the whole library each time, between 2014 and 2025; EDIT=new-today adds a
#   document dated today, the newest; EDIT=interp an interpretation of it, EDIT=faq a FAQ
#   set for it), EDIT=organ renames
#   its issuer in organs.yaml, EDIT=template edits the footer of base.html (the first
#   template edit only makes the site's own copy: use WARM=1 and a GAP of 6 s at 10k,
#   a template edit renders every page); BODY_FIRST=1 appends
#   a line to its body GAP seconds before each counted edit (serve's fast path), so each
#   measured rebuild follows a fast edit, as an editor's usually does.
set -euo pipefail
bin=$(realpath "$1"); src=$(realpath "${2:-target/bench/c10000}"); edits=${3:-6}
. "$(dirname "$0")/serve-lib.sh"
SERVE_ARGS=--timings serve_start "$bin" "$src"
sleep 1
f=$(first_document)
gap=${GAP:-2.5}
edit() {
  case "${EDIT:-title}" in
    title) edit_title "$f" "$1" ;;
    date) edit_date "$f" "$2" ;;
    far-date) edit_far_date "$f" "$2" ;;
    new-today) add_today "$f" "$1" ;;
    interp) add_interp "$f" "$1" ;;
    faq) add_faq "$f" "$1" ;;
    organ) edit_organ "$f" "$1" ;;
    template) edit_template "$1" ;;
    *) echo "EDIT is title, date, far-date, new-today, interp, faq, organ or template" >&2; exit 2 ;;
  esac
}
for i in $(seq "${WARM:-0}"); do
  edit "w$i" "$((i + 20))"
  sleep "$gap"
done
if [ -n "${PERF:-}" ]; then
  perf record -e cpu-clock -F 300 --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" 2>/dev/null &
  perf_pid=$!
fi
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
faults() { awk '{print $10}' "/proc/$pid/stat"; }
t0=$(ticks)
for i in $(seq "$edits"); do
  if [ -n "${BODY_FIRST:-}" ]; then
    printf '\n\nBODY%s\n' "$i" >>"$f"
    sleep "$gap"
  fi
  f0=$(faults)
  edit "$i" "$i"
  sleep "$gap"
  echo "edit $i: $(($(faults) - f0)) minor faults"
done
t1=$(ticks)
if [ -n "${PERF:-}" ]; then
  kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
  trap 'kill $pid 2>/dev/null || true' EXIT # keep the profile
  echo "profile: $work/perf.data"
fi
echo "cpu $((t1 - t0)) ticks over $edits edits"
grep -o "rebuilt in [0-9]* ms" "$work/log" | tail -n "$edits"
# Each stage's median over the counted edits (the last $edits blocks of --timings lines).
python3 - "$work/log" "$edits" <<'PY'
import re, statistics, sys
times = {}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.match(r"^ *([a-z][a-z +]*): +([0-9.]+) ms", line)
    if m:
        times.setdefault(m.group(1), []).append(float(m.group(2)))
for stage, xs in times.items():
    print(f"{stage:>14}: {statistics.median(xs[-int(sys.argv[2]):]):7.1f} ms median")
PY
