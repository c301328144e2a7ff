#!/usr/bin/env bash
# Resident memory and rebuild times of `serve --watch` on a large corpus: after the first
# build, and after two title edits of one document.
#
#   bench/serve-memory.sh BINARY [SITE]      SITE: target/bench/c100000
#
# Copies SITE into a folder under $TMPDIR (TMPDIR=/dev/shm/… for tmpfs) and removes it
# afterwards. Prints one line: RSS after the first build, RSS after the edits, and the
# server's "rebuilt in" lines.
set -euo pipefail
bin=$(realpath "$1"); src=$(realpath "${2:-target/bench/c100000}")
. "$(dirname "$0")/serve-lib.sh"
serve_start "$bin" "$src"
rss() { awk '/VmRSS/{print int($2 / 1024)}' "/proc/$pid/status"; }
r0=$(rss)
f=$(first_document)
for i in 1 2; do
  edit_title "$f" "$i"
  until [ "$(grep -c 'rebuilt in' "$work/log")" -ge "$i" ]; do sleep 1; done
done
echo "$(basename "$bin"): RSS after the first build $r0 MB, after 2 title edits $(rss) MB; $(grep -o 'rebuilt in [0-9]* ms' "$work/log" | tr '\n' ' ')"
