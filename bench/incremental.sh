#!/usr/bin/env bash
# Incremental builds, old and new binary side by side in one run: for each corpus size and
# disk, a cold build, then a build with nothing changed, then one after a single
# document's body changed, then one after a new document was added (cache and output
# kept), alternating the binaries. Prints wall seconds (and each build's peak RSS) as a
# Markdown table.
#
#   bench/incremental.sh OLD_BINARY NEW_BINARY [SIZES...]     default: 10000
#   DISKS="tmpfs ext4" (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,9p "$0"; exit 2; }
old=$(realpath "$1"); new=$(realpath "$2"); shift 2
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(10000)
disks=(${DISKS:-tmpfs ext4})
# Wall seconds and peak RSS of one command, as "12.34 s, 567 MB".
secs() {
  local tf; tf=$(mktemp)
  /usr/bin/time -o "$tf" -f "%e %M" "$@" >/dev/null 2>&1 || true
  read -r wall kb <"$tf"; rm -f "$tf"
  printf "%.2f s, %d MB" "$wall" $((kb / 1024))
}
echo "| corpus | disk | binary | cold | unchanged | one body edited | one document added |"
echo "|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  src=target/bench/c$n
  [ -f "$src/gazette.yaml" ] || python3 ../shared/bench/gen_corpus.py "$n" "$src" >/dev/null
  for disk in "${disks[@]}"; do
    case $disk in tmpfs) base=/dev/shm/gazette-inc ;; *) base=target/bench/inc ;; esac
    for which in old new; do
      bin=$old; [ $which = new ] && bin=$new
      work=$base/$which-$n
      rm -rf "$work"; mkdir -p "$work"; cp -r "$src" "$work/site"
      run=("$bin" build --root "$work/site" -o "$work/public" --date 2026-01-01)
      cold=$(secs "${run[@]}")
      same=$(secs "${run[@]}")
      doc=$(find "$work/site/content/documents" -name '*.md' | sort | sed -n 7p)
      printf '\n\n新增的一段正文，用于检验增量构建。\n' >> "$doc"
      one=$(secs "${run[@]}")
      # A copy of that document under a new id, without its 发文字号 and 索引号.
      sed -e 's/^id: .*/id: zz-bench-new/' -e '/^doc_number:/d' -e '/^index_number:/d' "$doc" \
        > "$(dirname "$doc")/zz-bench-new.md"
      added=$(secs "${run[@]}")
      printf "| %s | %s | %s | %s | %s | %s | %s |\n" "$n" "$disk" "$which" "$cold" "$same" "$one" "$added"
      rm -rf "$work"
    done
  done
done
