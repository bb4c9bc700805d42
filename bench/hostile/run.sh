#!/usr/bin/env bash
# bench/hostile: the attacks that found the server's unbounded corners, replayed against the
# release build with its deployed limits, each with what the server does now (status, time,
# memory before and after). A day of simulated observations is loaded first so that reports
# are expensive. Usage: bench/hostile/run.sh [HOURS]   (default 24 hours of observations)
set -euo pipefail
cd "$(dirname "$0")/../.."
HOURS=${1:-24}
work=$(mktemp -d /tmp/truceline-hostile.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
[ -n "${TRUCELINE_BIN:-}" ] || cargo build --quiet --release -p truceline --bin truceline
bin=${TRUCELINE_BIN:-target/release/truceline}
a=examples/donbas/agreement.toml
$bin simulate --agreement $a --seed 7 --hours "$HOURS" --start 2026-11-24T00:00:00Z \
  --observations "$work/obs.ndjson" --truth "$work/truth.ndjson" >/dev/null
$bin import --agreement $a --data "$work/d" "$work/obs.ndjson" >/dev/null
for r in monitor analyst chief witness; do $bin users add "$r" --role "$r" --data "$work/d" >/dev/null 2>&1; done
declare -A tok
for r in monitor analyst chief witness; do tok[$r]=$($bin tokens issue "$r" --data "$work/d" 2>/dev/null); done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The server's descriptors as in the run that found the problem.
ulimit -n 20000 2>/dev/null || true
# $@: more flags for serve.
start_server() {
  RUST_LOG=error $bin serve --agreement $a --data "$work/d" --listen 127.0.0.1:$port "$@" 2>>"$work/server.log" &
  server=$!
  for _ in $(seq 600); do
    [ "$(curl -s http://127.0.0.1:$port/healthz | python3 -c 'import json,sys; print(json.load(sys.stdin).get("fusion"))' 2>/dev/null)" = running ] && break
    sleep 0.5
  done
}
start_server
python3 bench/hostile/attacks.py "$port" "$server" "${tok[monitor]}" "${tok[analyst]}" "${tok[chief]}" "${tok[witness]}"

# Pages that read to their budget, under the deployed limits and, restarted on the same data,
# with as many read at once as are asked: what the bound on pages at once buys intake.
echo
python3 bench/hostile/pages.py "$port" "${tok[monitor]}" "${tok[analyst]}" "pages: deployed limits"
kill $server; wait $server 2>/dev/null || true
start_server --page-reads 10000
python3 bench/hostile/pages.py "$port" "${tok[monitor]}" "${tok[analyst]}" "pages: --page-reads 10000"
