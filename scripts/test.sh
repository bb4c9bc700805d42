#!/usr/bin/env bash
# Every test of the project, from a clean clone: formatting, lints, unit, property, doc and
# command-line tests. The README's test command; .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy

./scripts/deps.sh
# The shared store's tests run against a real PostgreSQL with PostGIS on loopback.
TRUCELINE_PG_URL=$(./scripts/postgres.sh | tail -n 1)
export TRUCELINE_PG_URL

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

# The reliability suite's short form: the kill loop, fault injection and the fuzz corpora ran
# above (cargo test); here a 20-second soak of the test build under mixed load, which must
# answer every request and stay healthy. The long form: scripts/reliability.sh.
TRUCELINE_BIN=target/debug/truceline SAMPLE=5 bench/soak/run.sh 20 400 --check
