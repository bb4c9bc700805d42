#!/usr/bin/env bash
# bench/nats/run.sh: field offices' transport in one run. JetStream's own publish rate (the
# peer: the forwarder's message size and window, one local server from scripts/nats.sh), then
# the whole path as the test drives it — a three-node cluster, a site behind a leaf node whose
# link is cut while N observations are written there — and the time from the link's return
# until headquarters holds them all (forwarding lag), with the rate that gives.
# Usage: bench/nats/run.sh [N]     (default 10,000)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
url=$(scripts/nats.sh | tail -n 1)
cargo build --quiet --release -p truceline-nats --example jetstream_bench
target/release/examples/jetstream_bench "$url" "$N" | python3 -c '
import json, sys
r = json.load(sys.stdin)
n, w, rate = r["messages"], r["in_flight"], r["publish_per_s"]
print(f"JetStream publish (peer): {n:,} messages, {w} in flight: {rate:,.0f} /s")
'
TRUCELINE_NATS_OBSERVATIONS=$N cargo test --quiet --release -p truceline --test nats -- --nocapture 2>&1 |
    sed -n 's/^\([0-9]* observations written at the site while cut off reached headquarters \([0-9.]*\) s after.*\)$/\1/p' |
    while read -r line; do
        echo "forwarding: $line"
        secs=$(echo "$line" | sed -n 's/.*headquarters \([0-9.]*\) s after.*/\1/p')
        python3 -c "print(f'  {$N / $secs:,.0f} observations/s from the site into the store at headquarters, through the cluster')"
    done
