#!/usr/bin/env bash
# Which output files one edit in `serve --watch` writes, counted by folder: what an edit
# costs in files (each written file is also hashed, and served pages reload).
#
#   bench/written-files.sh BINARY EDIT [SITE]      SITE: target/bench/c10000
#   EDIT: interp, faq, date or new-today (see bench/serve-lib.sh)
#
# Starts serve on a copy of SITE (under $TMPDIR), makes the edit, waits for the rebuild
# and lists the files of serve's output newer than the edit (document pages as one
# `documents/*` line).
set -euo pipefail
bin=$(realpath "$1"); kind=$2; src=$(realpath "${3:-target/bench/c10000}")
cd "$(dirname "$0")/.."
. bench/serve-lib.sh
serve_start "$bin" "$src"
sleep 2
f=$(first_document)
out=$(find "$work" -maxdepth 1 -type d -name "gazette-serve*" | head -1)
mark=$(mktemp "$work/mark.XXXXXX")
sleep 1
case $kind in
  interp) add_interp "$f" 1 ;; faq) add_faq "$f" 1 ;; date) edit_date "$f" 3 ;; new-today) add_today "$f" 1 ;;
  *) echo "EDIT is interp, faq, date or new-today" >&2; exit 2 ;;
esac
for _ in $(seq 120); do grep -q "rebuilt in\|build failed" "$work/log" && break; sleep 0.5; done
grep "rebuilt in\|build failed" "$work/log"
find "$out" -type f -newer "$mark" | sed "s|^$out/||; s|/[^/]*$||; s|^documents/.*|documents/*|" | sort | uniq -c | sort -rn
