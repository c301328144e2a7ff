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
w=$(mktemp -d "${TMPDIR:-/tmp}/gazette-serve-memory.XXXXXX")
trap 'kill $pid 2>/dev/null || true; sleep 1; rm -rf "$w"' EXIT
cp -r "$src" "$w/site"; rm -rf "$w/site/public" "$w/site/.gazette-cache"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --watch --port "$port" --root "$w/site" -o "$w/out" >"$w/log" 2>&1 &
pid=$!
until grep -q "serving at" "$w/log" 2>/dev/null; do sleep 1; done
rss() { awk '/VmRSS/{print int($2 / 1024)}' "/proc/$pid/status"; }
r0=$(rss)
f=$(find "$w/site/content/documents" -name '*.md' | sort | sed -n 1p)
for i in 1 2; do
  python3 - "$f" "$i" <<'PY'
import re, sys
p, i = sys.argv[1], sys.argv[2]
s = open(p, encoding="utf-8").read()
s = re.sub(r'^title: "(.*)"', lambda m: f'title: "{m.group(1)}改{i}"', s, count=1, flags=re.M)
open(p, "w", encoding="utf-8").write(s)
PY
  until [ "$(grep -c 'rebuilt in' "$w/log")" -ge "$i" ]; do sleep 1; done
done
echo "$(basename "$bin"): RSS after the first build $r0 MB, after 2 title edits $(rss) MB; $(grep -o 'rebuilt in [0-9]* ms' "$w/log" | tr '\n' ' ')"
