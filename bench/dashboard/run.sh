#!/usr/bin/env bash
# The dashboard with many incidents, in headless Chromium (software WebGL: no GPU here or in CI).
#   bench/dashboard/run.sh [HOURS] [RUNS]     (default 240 simulated hours ≈ 100,000 incidents, 3 runs)
# The peer, in the same run: the same dashboard over the same agreement with no incidents at
# all, so the ratio is what the incidents add to an otherwise identical page.
set -euo pipefail
cd "$(dirname "$0")/../.."
HOURS=${1:-240}
RUNS=${2:-3}
./scripts/deps.sh
cargo build --release -q -p truceline
bin=target/release/truceline
agreement=examples/donbas/agreement.toml
work=target/bench-dashboard/$HOURS
if [ ! -f "$work/imported" ]; then
    rm -rf "$work" && mkdir -p "$work"
    $bin simulate --agreement $agreement --seed 7 --hours "$HOURS" --observations "$work/obs.ndjson" --truth "$work/truth.ndjson"
    $bin import "$work/obs.ndjson" --data "$work/data" --agreement $agreement
    touch "$work/imported"
fi
rm -rf "$work/empty"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
trap 'kill ${pids[@]} 2>/dev/null || true' EXIT
serve() { # DATA PORT
    # The dashboard is read by a signed-in chief (a browser session's cookie).
    $bin users add bench --role chief --data "$1" >/dev/null 2>&1 || true
    echo "bench-password-$$" | $bin users passwd bench --data "$1" >/dev/null 2>&1
    $bin serve --agreement $agreement --data "$1" --listen "127.0.0.1:$2" >"$1.log" 2>&1 &
    pids+=($!)
    until curl -sf "127.0.0.1:$2/healthz" >/dev/null; do sleep 0.2; done
}
full=$(port); empty=$(port)
serve "$work/data" "$full"
serve "$work/empty" "$empty"
session() { # PORT: a session cookie's value
    curl -s -D - -o /dev/null "127.0.0.1:$1/api/v1/session" -H 'Content-Type: application/json' \
        -d "{\"name\":\"bench\",\"password\":\"bench-password-$$\"}" |
        sed -n 's/^[Ss]et-[Cc]ookie: truceline_session=\([^;]*\).*/\1/p'
}
auth() { echo "Cookie: truceline_session=$(session "$1")"; }
# Online fusion publishes once it has read the store: wait until its first round is over and it
# has caught up with the log (/healthz says so), then for the count to settle.
until curl -s "127.0.0.1:$full/healthz" | python3 -c 'import json,sys; h=json.load(sys.stdin); sys.exit(0 if h["fusion"]=="running" and h["fusion_lag_s"]==0 else 1)'; do
    sleep 2
done
prev=-1
while :; do
    n=$(curl -s -H "$(auth $full)" "127.0.0.1:$full/api/v1/summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["incidents"])')
    [ "$n" -gt 0 ] && [ "$n" = "$prev" ] && break
    prev=$n; sleep 5
done
echo "incidents published: $n" >&2
for f in json binary; do
    curl -s -H "$(auth $full)" -o /dev/null -w "GET /api/v1/map/incidents?format=$f: %{size_download} bytes in %{time_total} s\n" "127.0.0.1:$full/api/v1/map/incidents?format=$f" >&2
done
out=$(mktemp)
TRUCELINE_SESSION=$(session $full) node bench/dashboard/measure.mjs "http://127.0.0.1:$full" "$RUNS" incidents | tee -a "$out"
TRUCELINE_SESSION=$(session $empty) node bench/dashboard/measure.mjs "http://127.0.0.1:$empty" "$RUNS" empty | tee -a "$out"
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"summary":true' in l]
a = next(r for r in rows if r["label"] == "incidents"); b = next(r for r in rows if r["label"] == "empty")
print(f"first render with {a['incidents']:,} incidents: {a['first_render_ms']} ms (goal < 2000); "
      f"empty map: {b['first_render_ms']} ms; ratio {a['first_render_ms']/b['first_render_ms']:.2f}")
print(f"frames while zooming and panning: p50 {a['frame_p50_ms']} ms, p95 {a['frame_p95_ms']} ms, {a['fps']} fps "
      f"(empty map: p50 {b['frame_p50_ms']} ms, p95 {b['frame_p95_ms']} ms, {b['fps']} fps; p95 ratio {a['frame_p95_ms']/max(1,b['frame_p95_ms']):.2f})")
print(f"a filter change to the frame that shows it: {a['filter_ms']} ms, of which its handlers {a['filter_handler_ms']} ms "
      f"(empty map: {b['filter_ms']} ms, handlers {b['filter_handler_ms']} ms); ratio {a['filter_ms']/max(1,b['filter_ms']):.2f}, "
      f"{a['filter_ms']/b['first_render_ms']:.3f} of the empty map's first render")
print(f"with every stored day loaded ({a['all_shown']:,} incidents shown): a filter change {a['all_filter_ms']} ms, "
      f"handlers {a['all_filter_handler_ms']} ms (empty map: {b['all_filter_ms']} ms); ratio {a['all_filter_ms']/max(1,b['all_filter_ms']):.2f}")
PY
