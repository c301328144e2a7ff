# Sourced by the bench scripts that drive `gazette serve --watch` on a copy of a corpus
# (title-edits.sh, serve-memory.sh).
#
#   serve_start BINARY SITE   copy SITE into a new folder $work under $TMPDIR (use
#                             TMPDIR=/dev/shm/… for tmpfs), start serve --watch on it with
#                             its log in $work/log, wait until it serves; sets work, pid, and
#                             a trap that stops it and removes $work (SERVE_ARGS: more
#                             arguments, e.g. --timings; KEEPLOG=FILE: the trap copies
#                             the server's log there first)
#   first_document            the first document of the copy, by path
#   edit_title FILE N         append 改N to FILE's `title: "…"`
#   edit_date FILE N          set FILE's `published:` to a date made from N (2023-0M-1D)
#   edit_far_date FILE N      set it to 2025-0M-1D for odd N, 2014-01-0D for even N: each
#                             edit moves the document across the whole library's order
#   add_today FILE N          add document zz-today-N, a copy of FILE dated today (as an
#                             editor publishes one: the newest of the library)
#   add_interp FILE N         add interpretation zz-jd-N of FILE's document (its `id:`)
#   add_faq FILE N            add FAQ set zz-faq-N for FILE's document
#   edit_organ FILE N         rename FILE's issuer in content/organs.yaml (ORGNx prefix)
#   edit_template N           add <p>TN</p> to the footer of the site's own copy of the
#                             default theme's base.html (made on the first call)

serve_start() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/gazette-bench.XXXXXX")
  trap 'kill $pid 2>/dev/null || true; sleep 1; [ -n "${KEEPLOG:-}" ] && cp "$work/log" "$KEEPLOG"; rm -rf "$work"' EXIT
  cp -r "$2" "$work/site"
  rm -rf "$work/site/public" "$work/site/.gazette-cache"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # serve's own private output, as an editor runs it: TMPDIR says where it goes.
  TMPDIR="$work" "$1" serve --watch ${SERVE_ARGS:-} --port "$port" --root "$work/site" >"$work/log" 2>&1 &
  pid=$!
  until grep -q "serving at" "$work/log" 2>/dev/null; do sleep 0.5; done
}

first_document() {
  find "$work/site/content/documents" -name '*.md' | sort | sed -n 1p
}

edit_title() {
  python3 - "$1" "$2" <<'PY'
import re, sys
p, i = sys.argv[1], sys.argv[2]
s = open(p, encoding="utf-8").read()
s = re.sub(r'^title: "(.*)"', lambda m: f'title: "{m.group(1)}改{i}"', s, count=1, flags=re.M)
open(p, "w", encoding="utf-8").write(s)
PY
}

edit_date() {
  python3 - "$1" "$2" <<'PY'
import re, sys
p, i = sys.argv[1], int(sys.argv[2])
s = open(p, encoding="utf-8").read()
s = re.sub(r"^published: .*$", f"published: 2023-0{1 + i % 9}-1{i % 10}", s, count=1, flags=re.M)
open(p, "w", encoding="utf-8").write(s)
PY
}

edit_far_date() {
  local d
  if [ $(($2 % 2)) = 1 ]; then d="2025-0$((1 + $2 % 9))-1$(($2 % 10))"; else d="2014-01-0$((1 + $2 % 9))"; fi
  sed -i "s/^published: .*/published: $d/" "$1"
}

add_today() {
  sed -e "/^\(id\|doc_number\|index_number\|basis\|supporting\|related\):/d" \
    -e "s/^published: .*/published: $(date +%F)/" -e "s/^title: \"/title: \"今日$2 /" \
    "$1" >"$(dirname "$1")/zz-today-$2.md"
}

add_interp() {
  local id; id=$(sed -n 's/^id: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1" | sed -n 1p)
  mkdir -p "$work/site/content/interpretations"
  printf -- '---\nid: zz-jd-%s\ntitle: JD%sx 解读\ninterprets: %s\npublished: 2026-01-01\n---\n\n解读正文。\n' \
    "$2" "$2" "$id" >"$work/site/content/interpretations/zz-jd-$2.md"
}

add_faq() {
  local id; id=$(sed -n 's/^id: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1" | sed -n 1p)
  mkdir -p "$work/site/content/faqs"
  printf 'for: %s\nitems:\n  - q: FAQ%sx 何时施行？\n    a: 自发布之日起。\n' "$id" "$2" >"$work/site/content/faqs/zz-faq-$2.yaml"
}

edit_organ() {
  python3 - "$1" "$2" "$work/site/content/organs.yaml" <<'PY'
import re, sys
p, i, organs = sys.argv[1], sys.argv[2], sys.argv[3]
issuer = re.search(r'^issuer:\s*"?([^"\n]+)', open(p, encoding="utf-8").read(), re.M).group(1)
s = open(organs, encoding="utf-8").read()
s = re.sub(rf'(- id: {issuer}\n  name: ")(?:ORG[0-9a-z]+?x)?', rf"\g<1>ORG{i}x", s, count=1)
open(organs, "w", encoding="utf-8").write(s)
PY
}

edit_template() {
  local t="$work/site/themes/default/templates/base.html"
  if [ ! -f "$t" ]; then
    mkdir -p "$(dirname "$t")"
    cp "$(dirname "${BASH_SOURCE[0]}")/../themes/default/templates/base.html" "$t"
  fi
  sed -i "s|</footer>|<p>T$1</p></footer>|" "$t"
}
