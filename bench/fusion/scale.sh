#!/usr/bin/env bash
# bench/fusion/scale.sh: online fusion against the length of history. For 1, 7, 30 and 365 days
# of stored observations (default simulated days, about 37,000 observations each), starts the
# release server on the store, posts a new hour of observations in one request and measures
#   - latency: from the acknowledgement to the hour's first published incident, and to the
#     round that fused the whole hour;
#   - memory: the server's resident set after the hour (VmRSS) and its peak (VmHWM).
# The store is built once, day by day, and kept in $TRUCELINE_SCALE_DIR (default
# /tmp/truceline-scale; a year is about 25 GB) so that later runs reuse it. A peer build
# (TRUCELINE_PEER_BIN, e.g. a release binary of an earlier commit) is measured on its own
# stores of the small sizes in the same run.
# Usage: bench/fusion/scale.sh [DAYS...]   (default 1 7 30 365)
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=("${@:-1 7 30 365}")
read -r -a steps <<<"${steps[*]}"
keep=${TRUCELINE_SCALE_DIR:-/tmp/truceline-scale}
mkdir -p "$keep"
# TRUCELINE_BIN: a copy of the binary to measure, so that a rebuild meanwhile changes nothing.
if [ -z "${TRUCELINE_BIN:-}" ]; then cargo build --quiet --release -p truceline; fi
bin=${TRUCELINE_BIN:-$PWD/target/release/truceline}
peer=${TRUCELINE_PEER_BIN:-}
a=examples/donbas/agreement.toml
work=$(mktemp -d /tmp/truceline-bench-scale.XXXXXX)
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
day0=$(date -u -d 2026-01-01 +%s)
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# Grows the store in $2 (with binary $1) to $3 days of history, simulated one day at a time and
# imported in one stream.
grow() {
  local b=$1 dir=$2 n=$3 have
  have=$(cat "$dir.days" 2>/dev/null || echo 0)
  [ "$have" -ge "$n" ] && return
  echo "  history: days $have..$((n - 1)) into $dir" >&2
  for d in $(seq "$have" $((n - 1))); do
    $b simulate --agreement $a --seed $((d + 1)) --hours 24 --start "$(iso $((day0 + d * 86400)))" \
      --observations /dev/stdout --truth /dev/null
  done | $b import - --format ndjson --data "$dir" --agreement $a >/dev/null 2>&1
  echo "$n" >"$dir.days"
}

# Starts binary $1 on store $2, posts the hour after its history ($3 days) and prints a JSON line.
measure() {
  local b=$1 dir=$2 n=$3 port hour_s hour started
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  $b users add feed --role monitor --data "$dir" >/dev/null 2>&1 || true
  $b users add reader --role analyst --data "$dir" >/dev/null 2>&1 || true
  local feed reader
  feed=$($b tokens issue feed --data "$dir")
  reader=$($b tokens issue reader --data "$dir")
  hour=$work/hour-$n.ndjson
  # The new hour starts a second after the history's last day ends: the worst case, as its first
  # minutes fall in the previous day's lookahead and that whole day is fused again with it.
  hour_s=$((day0 + n * 86400 + 1))
  started=$(date +%s.%N)
  RUST_LOG=warn $b serve --agreement $a --data "$dir" --listen 127.0.0.1:$port --max-body 67108864 &
  server=$!
  python3 - "$port" "$feed" "$reader" "$hour" "$b" "$server" "$n" "$started" "$a" "$(iso $hour_s)" <<'PY'
import datetime, json, subprocess, sys, time, urllib.request
port, feed, reader, hour, b, pid, days, started, agreement, hour_start = sys.argv[1:]
base = f"http://127.0.0.1:{port}/api/v1"
def get(path, token=reader):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)
def status():
    return dict(l.split(":", 1) for l in open(f"/proc/{pid}/status") if ":" in l)
def kb(v):
    return int(v.split()[0]) // 1024
# Ready: the first round has read the whole store (a store never fused is fused then, day by day).
deadline = time.time() + 7200
while True:
    try:
        meta = get("/incidents?limit=1")["fusion"]
        if meta["watermark"] is not None:
            break
    except Exception:
        pass
    if time.time() > deadline:
        sys.exit("the server did not finish its first round")
    time.sleep(0.2)
ready_s = time.time() - float(started)
# A store an earlier run posted its hour to (kept in TRUCELINE_SCALE_DIR) already holds that
# hour: then the new one starts after the latest observation, so that its ids (named after its
# start) are new.
latest = datetime.datetime.fromisoformat(meta["watermark"].replace("Z", "+00:00"))
planned = datetime.datetime.fromisoformat(hour_start.replace("Z", "+00:00"))
if latest >= planned + datetime.timedelta(minutes=30):
    start = latest.replace(microsecond=0) + datetime.timedelta(seconds=2)
    hour_start = start.strftime("%Y-%m-%dT%H:%M:%SZ")
subprocess.run([b, "simulate", "--agreement", agreement, "--seed", "999", "--hours", "1", "--start", hour_start,
                "--observations", hour, "--truth", "/dev/null"], check=True, stderr=subprocess.DEVNULL)
# The round after the first rests (at most five seconds): the hour is posted to a server at rest.
time.sleep(5.5)
before = get("/incidents?limit=1")["fusion"]["observations"]
tag = hour_start.replace("-", "").replace(":", "").rstrip("Z")
body = open(hour, "rb").read()
n = body.count(b"\n")
req = urllib.request.Request(base + "/observations", data=body, method="POST",
                             headers={"Authorization": f"Bearer {feed}", "Content-Type": "application/x-ndjson"})
with urllib.request.urlopen(req, timeout=600) as r:
    r.read()
t0 = time.time()
first = whole = None
while whole is None or first is None:
    # The hour's own incidents are told by their observations' ids (impacts of the history's
    # last rounds land after it starts).
    if first is None and any(tag in o for i in get(f"/incidents?limit=1000&from={hour_start}")["incidents"]
                             for o in i["observations"]):
        first = time.time() - t0
    if whole is None and get("/incidents?limit=1")["fusion"]["observations"] >= before + n:
        whole = time.time() - t0
    if time.time() - t0 > 600:
        sys.exit("the hour was not published within 10 minutes")
    time.sleep(0.02)
s = status()
print(json.dumps({"days": int(days), "observations": before, "hour": n, "ready_s": ready_s,
                  "first_s": first, "round_s": whole, "rss_mb": kb(s["VmRSS"]), "hwm_mb": kb(s["VmHWM"])}))
PY
  kill $server; wait $server 2>/dev/null || true
  server=
}

rows=()
for n in "${steps[@]}"; do
  echo "history of $n days" >&2
  # A kept store only grows: one that already holds more days would be measured under a
  # smaller size's name.
  held=$(cat "$keep/data.days" 2>/dev/null || echo 0)
  if [ "$held" -gt "$n" ]; then
    echo "the store in $keep holds $held days, more than $n: measure $held or more, or set TRUCELINE_SCALE_DIR to a new directory" >&2
    exit 2
  fi
  grow "$bin" "$keep/data" "$n"
  rows+=("this|$(measure "$bin" "$keep/data" "$n")")
  # The store goes on to the next size from here: the hour posted stays in it.
  if [ -n "$peer" ] && [ "$n" -le 7 ]; then
    grow "$peer" "$keep/peer-$n" "$n"
    rows+=("peer|$(measure "$peer" "$keep/peer-$n" "$n")")
  fi
done
python3 - "${rows[@]}" <<'PY'
import json, sys
rows = [(r.split("|", 1)[0], json.loads(r.split("|", 1)[1])) for r in sys.argv[1:]]
print(f"{'build':6} {'days':>5} {'observations':>13} {'hour':>6} {'ready s':>8} {'first s':>8} {'round s':>8} {'RSS MB':>7} {'peak MB':>8}")
for who, r in rows:
    print(f"{who:6} {r['days']:>5} {r['observations']:>13,} {r['hour']:>6,} {r['ready_s']:>8.1f} {r['first_s']:>8.2f} {r['round_s']:>8.2f} {r['rss_mb']:>7} {r['hwm_mb']:>8}")
this = [r for w, r in rows if w == "this"]
if len(this) > 1:
    lo, hi = this[0], this[-1]
    print()
    print(f"from {lo['days']} to {hi['days']} days: first incident ×{hi['first_s'] / lo['first_s']:.2f}, "
          f"whole hour ×{hi['round_s'] / lo['round_s']:.2f}, RSS ×{hi['rss_mb'] / lo['rss_mb']:.2f}")
    ok = lambda c: "met" if c else "NOT met"
    flat = hi['round_s'] <= 2 * lo['round_s'] and hi['rss_mb'] <= 2 * lo['rss_mb']
    print(f"goals: latency and memory within 2× {ok(flat)}; the hour published within 1 s {ok(max(r['round_s'] for r in this) <= 1)}")
PY
