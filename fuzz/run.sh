#!/usr/bin/env bash
# Run every fuzz target for SECONDS (default 600) each, one after the other, on the
# corpus kept in fuzz/corpus/, then minimise the corpus so the repository keeps only
# inputs that add coverage. Needs `cargo install cargo-fuzz` and a nightly toolchain.
#   fuzz/run.sh            # 10 minutes per target
#   fuzz/run.sh 60 markdown
# A crash leaves its input in fuzz/artifacts/<target>/; turn it into a regression test
# (tests/fuzz_regressions.rs) before fixing it.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(front_matter markdown importer)
cargo +nightly fuzz build
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  echo "== $t: ${secs}s"
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb: memory must stay bounded.
  cargo +nightly fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 2>&1 | tee "/tmp/fuzz-$t.log" | grep -E "^(#[0-9]+.*(DONE|pulse)|stat::|==|SUMMARY|Done)" || true
  grep -q "^Done\|DONE" "/tmp/fuzz-$t.log" || { echo "$t: fuzzer stopped early, see /tmp/fuzz-$t.log"; exit 1; }
  cargo +nightly fuzz cmin "$t" "corpus/$t" >/dev/null 2>&1
done
