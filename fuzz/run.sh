#!/usr/bin/env bash
# Run every fuzz target for a while and report executions, coverage and artifacts.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [SANITIZER] [TARGET...]
#
# Stable toolchain: cargo-fuzz needs nightly flags, which RUSTC_BOOTSTRAP=1 allows.
# SANITIZER is `none` (default, fastest) or `address`. Seeds come from testdata/; the corpus
# grows in fuzz/corpus/<target> (git-ignored); crashes land in fuzz/artifacts/<target>.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
san="${2:-none}"
shift $(( $# > 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(lint fix http lsp_frames lsp_edits config)
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
seed() {
  local t="$1" dir="corpus/$1"
  mkdir -p "$dir"
  case "$t" in
    lint|fix) find ../testdata -name '*.json' -o -name '*.http' | while read -r f; do cp "$f" "$dir/$(basename "$f").seed"; done ;;
    http) find ../testdata -name '*.http' -exec cp {} "$dir/" \; ;;
    config) find ../testdata -name 'vpclint.toml' | nl -ba | while read -r n f; do cp "$f" "$dir/seed-$n.toml"; done ;;
    lsp_frames|lsp_edits) find ../testdata/examples -name '*.json' -exec cp {} "$dir/" \; ;;
  esac
}
printf '%-11s %12s %8s %8s %s\n' target execs cov ft artifacts
for t in "${targets[@]}"; do
  seed "$t"
  log="$(mktemp)"
  cargo fuzz run -O -s "$san" "$t" "corpus/$t" -- -max_total_time="$secs" \
    -dict=dict/vpclint.dict -max_len=65536 -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1 || true
  line=$(grep -E "^#[0-9]+" "$log" | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$line" || true)
  cov=$(grep -oE "cov: [0-9]+" <<<"$line" | awk "{print \$2}" || true)
  ft=$(grep -oE "ft: [0-9]+" <<<"$line" | awk "{print \$2}" || true)
  arts=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
  printf '%-11s %12s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$arts"
  if grep -qE 'panicked|ERROR: libFuzzer|SUMMARY: AddressSanitizer' "$log"; then
    grep -E 'panicked|ERROR|SUMMARY' "$log" | head -5
  fi
  rm -f "$log"
done
