#!/usr/bin/env bash
# bench/deploy/run.sh: the deployments beyond one machine in one run — ingest through the shared
# store against the embedded store and PostgreSQL's COPY (bench/store/postgres.sh), then
# JetStream's publish rate and a cut-off site's forwarding lag (bench/nats/run.sh).
# Usage: bench/deploy/run.sh [OBSERVATIONS] [FORWARDED]   (default 200,000 and 10,000)
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== the shared store (PostgreSQL with PostGIS)"
bench/store/postgres.sh "${1:-200000}" 1
echo "== field offices (NATS JetStream)"
bench/nats/run.sh "${2:-10000}"
