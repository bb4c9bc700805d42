#!/usr/bin/env bash
# bench/soak: the release server under a steady mixed load (bench/soak/soak.lua: mostly writes,
# with pages of incidents, the summary, map columns and health) for a long time, its memory sampled every
# SAMPLE seconds. Prints the memory curve and the throughput; with --check, fails on any error
# answer or a server that died (the CI's short form).
#
#   bench/soak/run.sh [SECONDS] [RATE] [--check]     (default 3600 s at 5000 requests/s)
# The load comes from one address and two accounts on loopback, so the rate limits are set off
# for the run; every other limit is as deployed.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-3600}
RATE=${2:-5000}
CHECK=${3:-}
SAMPLE=${SAMPLE:-10}
work=$(mktemp -d /tmp/truceline-soak.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }; }
# TRUCELINE_BIN: another build (the CI's short form uses the test build it already has).
[ -n "${TRUCELINE_BIN:-}" ] || cargo build --quiet --release -p truceline --bin truceline
bin=${TRUCELINE_BIN:-target/release/truceline}
$bin users add feed --role monitor --data "$work/d" >/dev/null 2>&1
$bin users add reader --role analyst --data "$work/d" >/dev/null 2>&1
export SOAK_MONITOR=$($bin tokens issue feed --data "$work/d" 2>/dev/null)
export SOAK_READER=$($bin tokens issue reader --data "$work/d" 2>/dev/null)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RUST_LOG=warn $bin serve --agreement examples/donbas/agreement.toml --data "$work/d" \
  --listen 127.0.0.1:$port --rate-per-address off --rate-per-account off 2> "$work/server.log" &
server=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.1; done
# 64 connections, each pausing so that together they ask RATE a second (less when answers slow).
conns=64
export SOAK_DELAY_MS=$(( conns * 1000 / RATE ))
rss() { awk '/VmRSS/ {print $2}' /proc/$server/status; }
echo "t_s,rss_kb" > "$work/rss.csv"
echo "0,$(rss)" >> "$work/rss.csv"
wrk -t2 -c$conns -d"${SECS}s" --latency -s bench/soak/soak.lua http://127.0.0.1:$port \
  > "$work/wrk.txt" 2> "$work/wrk.err" &
load=$!
start=$(date +%s)
while kill -0 $load 2>/dev/null; do
  sleep "$SAMPLE"
  kill -0 $server 2>/dev/null || { echo "the server died" >&2; cat "$work/server.log" >&2; exit 1; }
  echo "$(( $(date +%s) - start )),$(rss)" >> "$work/rss.csv"
done
wait $load || true
health=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/healthz)
python3 - "$work/rss.csv" "$work/wrk.txt" "$SECS" "$RATE" "$health" "${CHECK}" "$work/wrk.err" <<'PY'
import csv, re, sys
rows = [(int(t), int(k) / 1024) for t, k in list(csv.reader(open(sys.argv[1])))[1:]]
wrk = open(sys.argv[2]).read()
secs, rate, health, check = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
per_s = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
bad = int(bad.group(1)) if bad else 0
errors = re.search(r"Socket errors: (.*)", wrk)
p99 = re.search(r"99%\s+([\d.]+\w+)", wrk).group(1)
print(f"soak: {secs} s asking {rate}/s: answered {per_s:,.0f}/s, p99 {p99}, error answers {bad}, "
      f"socket errors: {errors.group(1) if errors else 'none'}; /healthz at the end: {health}")
print("memory (RSS, MB) over time:")
step = max(1, len(rows) // 24)
for t, mb in rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else []):
    print(f"  {t:6d} s  {mb:7.1f}  " + "#" * int(mb / 10))
if len(rows) >= 4 and secs >= 600:
    # After the first tenth (warm-up: caches, the held days filling), the growth per hour.
    warm = [r for r in rows if r[0] >= secs / 10] or rows
    n = len(warm); mt = sum(t for t, _ in warm) / n; mm = sum(m for _, m in warm) / n
    den = sum((t - mt) ** 2 for t, _ in warm) or 1
    slope = sum((t - mt) * (m - mm) for t, m in warm) / den * 3600
    print(f"  start {rows[0][1]:.1f} MB, after warm-up {warm[0][1]:.1f}, end {rows[-1][1]:.1f}, "
          f"max {max(m for _, m in rows):.1f}; trend after warm-up {slope:+.1f} MB/hour")
if check == "--check":
    err = open(sys.argv[7]).read().strip()
    if bad or health != "200":
        sys.exit(f"soak check failed: {bad} error answers, health {health}\n{err}")
PY
