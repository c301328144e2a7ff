#!/usr/bin/env bash
# Bytes a static index costs per query, in Debian's Chromium, on a corpus of
# ../shared/bench/gen_corpus.py built with the release binary:
#   search — the search page (tests/browser/search.mjs): the index shards of the query's
#            terms, the metadata of the results shown and, for their passages, their text;
#   finder — 政策找人 (tests/browser/finder.mjs; the corpus has free tags: one 标签
#            dimension): the value lists picked and the metadata of the results shown.
# Counts the JSON fetched until results appear (the page's own HTML and scripts excluded).
#
#   bench/bytes-per-query.sh search|finder [SIZE]      default size: 10000
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?search or finder}
n=${2:-10000}
corpus=target/bench/c$n
out=target/bench/$what-out-$n
mkdir -p target/bench
[ -f "$corpus/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$corpus" >/dev/null
cargo build --release --quiet
target/release/gazette build --root "$corpus" -o "$out" --date 2025-06-01 >/dev/null 2>&1
case $what in
  search) queries='[
    {"url": "search/?q=营商环境"}, {"url": "search/?q=一网通办"}, {"url": "search/?q=促进中小企业发展"},
    {"url": "search/?q=印发上海市"}, {"url": "search/?q=营商环境&validity=valid"}]' ;;
  finder) queries='[
    {"url": "finder/?标签=企业"}, {"url": "finder/?标签=中小企业"},
    {"url": "finder/?标签=惠企政策&all=1"}, {"url": "finder/?标签=高校毕业生"}]' ;;
  *) echo "search or finder" >&2; exit 2 ;;
esac
node "tests/browser/$what.mjs" "$out" "$queries" | python3 -c '
import json, sys, urllib.parse
for r in json.load(sys.stdin):
    url, hits, nbytes = urllib.parse.unquote(r["url"]), r["hits"], r["bytes"]
    marked = sum(1 for h in hits if h.get("excerpt") and "<mark>" in h["excerpt"])
    found = r.get("count") or f"{len(hits)} shown, {marked} with a marked passage"
    print(f"| {url} | {found} | {nbytes:,} bytes |")
'
echo "$what/ on disk: $(du -sb "$out/$what" | cut -f1) bytes, $(find "$out/$what" -type f | wc -l) files"
