#!/usr/bin/env bash
# bench/log/committed.sh: observations logged in the committed form (SPEC 4.2) against the plain
# form, through the embedded store, in one run: committing on one core, durable ingest from two
# producer threads (best of two runs a form, alternated), the database's size, and serving one
# observation's evidence (the row, its proof, its disclosures made again from the salts).
# Usage: bench/log/committed.sh [N]     (default 300,000 observations a run)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-300000}
cargo build --quiet --release -p truceline-store --example committed_bench
work=$(mktemp -d /tmp/truceline-bench-committed.XXXXXX)
trap 'rm -rf "$work"' EXIT
target/release/examples/committed_bench "$work" "$N" | python3 -c '
import json, sys
r = json.load(sys.stdin)
row = lambda name, p, c, unit: print(f"{name:<44}{p:>14,.2f}{c:>14,.2f}  {unit}   {c / p:5.2f}x")
n, p, c = r["observations"], "plain", "committed"
print(f"{n:,} observations a run{p:>26}{c:>14}")
row("commit or hash a leaf, one core", r["prepare_us"]["plain"], r["prepare_us"]["committed"], "us")
row("durable ingest, 2 producers", r["ingest_per_s"]["plain"], r["ingest_per_s"]["committed"], "/s")
row("database bytes per observation", r["db_bytes_per_observation"]["plain"], r["db_bytes_per_observation"]["committed"], "B ")
row("evidence of one observation (median)", r["evidence_us_median"]["plain"], r["evidence_us_median"]["committed"], "us")
'
