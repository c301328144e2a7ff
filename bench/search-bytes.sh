#!/usr/bin/env bash
# Bytes the search page fetches per query, in Debian's Chromium (tests/browser/search.mjs),
# on a corpus of ../shared/bench/gen_corpus.py: the index shards of the query's terms, the
# metadata of the results shown and, for their passages, the text of those results.
#
#   bench/search-bytes.sh [SIZE]      default: 10000
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
corpus=target/bench/c$n
out=target/bench/search-out-$n
mkdir -p target/bench
[ -f "$corpus/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$corpus" >/dev/null
cargo build --release --quiet
target/release/gazette build --root "$corpus" -o "$out" --date 2025-06-01 >/dev/null 2>&1
node tests/browser/search.mjs "$out" '[
  {"url": "search/?q=营商环境"}, {"url": "search/?q=一网通办"}, {"url": "search/?q=促进中小企业发展"},
  {"url": "search/?q=印发上海市"}, {"url": "search/?q=营商环境&validity=valid"}
]' | python3 -c '
import json, sys, urllib.parse
for r in json.load(sys.stdin):
    url, shown, nbytes = urllib.parse.unquote(r["url"]), len(r["hits"]), r["bytes"]
    marked = sum(1 for h in r["hits"] if h.get("excerpt") and "<mark>" in h["excerpt"])
    print(f"| {url} | {shown} shown, {marked} with a marked passage | {nbytes:,} bytes |")
'
echo "search/ on disk: $(du -sb "$out/search" | cut -f1) bytes, $(find "$out/search" -type f | wc -l) files"
