#!/usr/bin/env bash
# Throughput of `gazette import` on a folder of N plain-text and N web-page sources (issue
# 17: 10,000 in ≤ 30 s), made from the fixtures' layouts with a different number, date and
# title each, into a fresh `gazette init` site, with the release binary.
#
#   bench/import-speed.sh [N]      default: 10000 (N .txt and N .html files)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
work=target/bench/import-$n
rm -rf "$work"
mkdir -p "$work/src"
cargo build --release --quiet
python3 - "$n" "$work/src" <<'PY'
import os, sys
n, out = int(sys.argv[1]), sys.argv[2]
here = "tests/fixtures/import"
txt = open(f"{here}/txt/gwy-header.txt", encoding="utf-8").read()
html = open(f"{here}/html/govcn-table.html", encoding="utf-8").read()
for i in range(n):
    d = f"{out}/{i // 1000:02d}"
    os.makedirs(d, exist_ok=True)
    y = 2015 + i % 10
    t = txt.replace("〔2023〕15号", f"〔{y}〕{i + 1}号").replace("2023-00112", f"{y}-{i:05d}").replace("2023年", f"{y}年").replace("养老服务补贴", f"养老服务补贴（第{i}批）")
    open(f"{d}/doc-{i}.txt", "w", encoding="utf-8").write(t)
    h = html.replace("〔2024〕3号", f"〔{y}〕{i + 1}号").replace("2024-00008", f"{y}-{i:05d}").replace("2024年", f"{y}年").replace("营商环境", f"营商环境（第{i}项）")
    open(f"{d}/page-{i}.html", "w", encoding="utf-8").write(h)
PY
target/release/gazette init "$work/site" >/dev/null 2>&1
files=$(find "$work/src" -type f | wc -l)
start=$(date +%s.%N)
/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak RSS" target/release/gazette import "$work/src" --into "$work/site" 2>"$work/log" || true
end=$(date +%s.%N)
tail -2 "$work/log"
echo "$files sources imported in $(echo "$end - $start" | bc) s"
