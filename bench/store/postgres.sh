#!/usr/bin/env bash
# bench/store/postgres.sh: durable ingest through the shared store (PostgreSQL with PostGIS)
# against the embedded store and against PostgreSQL's own COPY of the same rows (the
# database's limit), in one run. The cluster is scripts/postgres.sh's (installed and started
# if missing), on this machine's loopback. The shared store is measured through the writer and
# through a standby (a second server's handle, whose writes go through the intake).
# Usage: bench/store/postgres.sh [N] [RUNS]     (default 200,000 observations, 2 runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-200000}
RUNS=${2:-2}
url=$(scripts/postgres.sh | tail -n 1)
cargo build --quiet --release -p truceline-store --example postgres_bench
for run in $(seq "$RUNS"); do
    work=$(mktemp -d /tmp/truceline-bench-pg.XXXXXX)
    target/release/examples/postgres_bench "$work" "$url" "$N" | python3 -c '
import json, sys
r = json.load(sys.stdin)
e, s, c = r["embedded_per_s"], r["postgres_store_per_s"], r["postgres_copy_per_s"]
sb = r["postgres_standby_per_s"]
n, b = r["observations"], r["batch"]
print(f"run '"$run"': {n:,} observations, 2 producers, batches of {b:,}")
print(f"  embedded store (SQLite)     {e:>10,.0f} /s")
print(f"  shared store (PostgreSQL)   {s:>10,.0f} /s   {s / e:4.2f} of the embedded store")
print(f"  through a standby (intake) {sb:>10,.0f} /s   {sb / s:4.2f} of the writer")
print(f"  PostgreSQL COPY (the limit) {c:>10,.0f} /s   the shared store at {s / c:4.2f} of it")
'
    rm -rf "$work"
done
