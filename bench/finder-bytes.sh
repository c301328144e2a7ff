#!/usr/bin/env bash
# Bytes the 政策找人 finder fetches per query, in Debian's Chromium (tests/browser/finder.mjs),
# on a corpus of ../shared/bench/gen_corpus.py (free tags: one 标签 dimension).
#
#   bench/finder-bytes.sh [SIZE]      default: 10000
#
# Prints, per query, the results shown and the JSON bytes fetched from finder/ until they
# appeared (the page's own HTML and scripts excluded), and the size of finder/.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
corpus=target/bench/c$n
out=target/bench/finder-out-$n
mkdir -p target/bench
[ -f "$corpus/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$corpus" >/dev/null
cargo build --release --quiet
target/release/gazette build --root "$corpus" -o "$out" --date 2025-06-01 >/dev/null 2>&1
node tests/browser/finder.mjs "$out" '[
  {"url": "finder/?标签=企业"},
  {"url": "finder/?标签=中小企业"},
  {"url": "finder/?标签=惠企政策&all=1"},
  {"url": "finder/?标签=高校毕业生"}
]' | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    url, count, shown, nbytes = r["url"], r["count"], len(r["hits"]), r["bytes"]
    print(f"| {url} | {count} | {shown} shown | {nbytes:,} bytes |")
'
echo "finder/ on disk: $(du -sb "$out/finder" | cut -f1) bytes, $(find "$out/finder" -type f | wc -l) files"
