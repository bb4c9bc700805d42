#!/usr/bin/env bash
# The reliability suite's long form (the short one runs in scripts/test.sh):
#   1. the kill loop: 100 rounds of SIGKILL under load, every acknowledged record found and the
#      log verified after each;
#   2. fault injection: a full disk and a failing fsync under the real server;
#   3. coverage-guided fuzzing of every parser, FUZZ_SECONDS per target (default 600);
#   4. the soak: SOAK_SECONDS (default 3600) at SOAK_RATE requests a second (default 5000), its
#      memory curve printed.
# Each part prints its figures; docs/PERFORMANCE.md keeps the last ones.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
echo "== kill loop (100 rounds)"
TRUCELINE_KILL_ROUNDS=${KILL_ROUNDS:-100} cargo test --release -p truceline --test reliability -- --nocapture
echo "== fuzzing (${FUZZ_SECONDS:-600} s a target)"
scripts/fuzz.sh "${FUZZ_SECONDS:-600}"
echo "== soak"
bench/soak/run.sh "${SOAK_SECONDS:-3600}" "${SOAK_RATE:-5000}"
