#!/usr/bin/env bash
# bench/log: the evidence log's speed, in one run.
#   (1) appends per second to 1 and to N leaves: raw SHA-256 (the limit, two hashes a leaf), the
#       Merkle append in memory, the log's rows written durably, and observations with their
#       leaves through the store; proof generation and verification in microseconds;
#   (2) an inclusion proof served over HTTP by the release server at N leaves (wrk, 1 connection,
#       after a warm-up pass of the same length);
#   (3) ingest with the log on, next to the same benchmark of the release before the log
#       (BASELINE, default 1ae099e), alternated twice.
# Usage: bench/log/run.sh [N] [SECONDS]      (default 10,000,000 leaves, 10 s; CI-size: 200000 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000000}
SECS=${2:-10}
BASELINE=${BASELINE:-1ae099e}
work=$(mktemp -d /tmp/truceline-bench-log.XXXXXX)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
cargo build --quiet --release -p truceline --bins --example ingest_bench
cargo build --quiet --release -p truceline-store --example log_bench
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_server() { # BIN DATA [ARGS...]
  local bin=$1 data=$2; shift 2
  # A build that knows accounts answers only them: a monitor for the feed. (An older one takes
  # the requests without.)
  if $bin users --help >/dev/null 2>&1; then
    $bin users add feed --role monitor --data "$data" >/dev/null 2>&1 || true
    export TRUCELINE_TOKEN=$($bin tokens issue feed --data "$data" 2>/dev/null)
  fi
  RUST_LOG=warn $bin serve --agreement examples/donbas/agreement.toml --data "$data" \
    --listen 127.0.0.1:$port --max-body 67108864 "$@" &
  server=$!
  for _ in $(seq 600); do curl -sf http://127.0.0.1:$port/api/v1/healthz >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; exit 1
}
stop_server() { kill $server; wait $server 2>/dev/null || true; server=""; }

echo "(1) appends and proofs to $N leaves..." >&2
target/release/examples/log_bench "$work/log" "$N" > "$work/log.json"

echo "(2) inclusion proofs served at $N leaves, 1 connection, $SECS s..." >&2
start_server target/release/truceline "$work/log" --no-fusion
# The first pass warms the node cache and the page cache, as a serving log's would be.
LEAVES=$N wrk -t1 -c1 -d"${SECS}s" -s bench/log/proof.lua http://127.0.0.1:$port > /dev/null
LEAVES=$N wrk -t1 -c1 -d"${SECS}s" --latency -s bench/log/proof.lua http://127.0.0.1:$port > "$work/wrk.txt"
stop_server
rm -rf "$work/log"

echo "(3) ingest, log on vs. $BASELINE (before the log)..." >&2
base_dir=target/bench-baseline
if [ ! -x "$base_dir/target/release/truceline" ] || [ "$(cat $base_dir/rev 2>/dev/null)" != "$BASELINE" ]; then
  rm -rf "$base_dir/src"; git worktree prune
  git worktree add --detach --force "$base_dir/src" "$BASELINE" >/dev/null 2>&1
  (cd "$base_dir/src" && CARGO_TARGET_DIR="$PWD/../target" cargo build --quiet --release -p truceline --bins)
  git worktree remove --force "$base_dir/src"
  echo "$BASELINE" > "$base_dir/rev"
fi
M=300000
target/release/examples/ingest_bench gen $M "$work/obs.ndjson"
for round in 1 2 3; do
  for which in off on; do
    bin=target/release/truceline; [ $which = off ] && bin=$base_dir/target/release/truceline
    start_server $bin "$work/ingest-$which-$round"
    target/release/examples/ingest_bench batch http://127.0.0.1:$port "$work/obs.ndjson" 10000 2 > "$work/ingest-$which-$round.json"
    stop_server
  done
done

python3 - "$work" "$N" <<'PY'
import json, re, sys, glob, statistics
work, n = sys.argv[1], int(sys.argv[2])
r = json.load(open(f"{work}/log.json"))
t = open(f"{work}/wrk.txt").read()
def us(label):
    v, unit = re.search(label + r"\s+([\d.]+)(us|ms|s)\b", t).groups()
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
served = {"avg": us(r"Latency"), "p50": us("50%"), "p99": us("99%"),
          "per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))}
ing = {w: [json.load(open(f))["per_s"] for f in sorted(glob.glob(f"{work}/ingest-{w}-*.json"))] for w in ("off", "on")}
lim = r["sha256_limit_per_s"]
print(f"evidence log, {n:,} leaves of {r['mean_leaf_bytes']:.0f} bytes (mean)")
print(f"{'':52} {'figure':>14}  {'of limit':>8}")
print(f"{'SHA-256, two hashes a leaf (the limit)':52} {lim:>12,.0f}/s  {1:>8.2f}")
m = r["memory_append_per_s"]
print(f"{'Merkle append in memory, first M / last M':52} {m['first_million']:>12,.0f}/s  {m['first_million']/lim:>8.2f}   last million {m['last_million']:,.0f}/s ({m['last_million']/lim:.2f})")
s = r["store_append_per_s"]
print(f"{'observations with leaves via the store, durable':52} {s['first_million']:>12,.0f}/s  {s['first_million']/lim:>8.2f}   last million {s['last_million']:,.0f}/s")
i, c = r["inclusion_us"], r["consistency_us"]
print(f"{'inclusion proof from the store: median / p99':52} {i['gen_median']:>9.1f} / {i['gen_p99']:.1f} µs   ({i['hashes_max']} hashes at most)")
print(f"{'inclusion proof verified: median':52} {i['verify_median']:>9.1f} µs")
print(f"{'consistency proof from the store: median / p99':52} {c['gen_median']:>9.1f} / {c['gen_p99']:.1f} µs")
print(f"{'consistency proof verified: median':52} {c['verify_median']:>9.1f} µs")
print(f"{'inclusion proof served over HTTP: mean / p50 / p99':52} {served['avg']:>9.1f} / {served['p50']:.1f} / {served['p99']:.1f} µs   ({served['per_s']:,.0f}/s, 1 connection)")
print(f"{'store size per leaf (record, indexes, log)':52} {r['db_bytes_per_leaf']:>12,.0f} B")
off, on = statistics.median(ing["off"]), statistics.median(ing["on"])
print(f"{'HTTP batch ingest before the log (median of 3)':52} {off:>12,.0f}/s   runs {', '.join(f'{x:,.0f}' for x in ing['off'])}")
print(f"{'HTTP batch ingest with the log (median of 3)':52} {on:>12,.0f}/s   runs {', '.join(f'{x:,.0f}' for x in ing['on'])}   ratio {on/off:.2f}")
print()
ok = lambda b: "met" if b else "NOT met"
print(f"goals: batch append >= 40 % of the limit: Merkle append {ok(m['last_million'] >= 0.4*lim)}, with the records through the store {ok(s['last_million'] >= 0.4*lim)}; "
      f"proof served < 100 µs {ok(served['p50'] < 100)} (median); ingest within 10 % {ok(on >= 0.9*off)}")
PY
