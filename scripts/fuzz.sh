#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of outside input (the targets in fuzz/fuzz_targets,
# whose bodies are crates/fuzzing), with libFuzzer through cargo fuzz on the stable toolchain.
# New inputs that reach new code are added to fuzz/corpus/<target> (commit them: `cargo test`
# replays them all); a crash stops the run with its input in fuzz/artifacts/<target>.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls fuzz/fuzz_targets | sed 's/\.rs$//')
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  before=$(ls fuzz/corpus/$t | wc -l)
  echo "== $t: $secs s (corpus $before)"
  cargo fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 2>&1 |
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)|panicked|ERROR" || true
  [ -z "$(ls -A fuzz/artifacts/$t 2>/dev/null)" ] || { echo "$t: crash, see fuzz/artifacts/$t" >&2; exit 1; }
  # Keep only inputs that reach code no other reaches: the committed corpus stays small.
  cargo fuzz cmin --fuzz-dir fuzz "$t" "fuzz/corpus/$t" >/dev/null 2>&1 || true
  echo "   corpus $before -> $(ls fuzz/corpus/$t | wc -l) (minimised)"
done
