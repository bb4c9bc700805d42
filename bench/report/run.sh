#!/usr/bin/env bash
# bench/report: the daily report of a day of DAY_N incidents in a store holding a year (N in all),
# next to the same aggregates as one SQL query in the sqlite3 shell on the same database.
#   (1) the report built in-process (median of RUNS) and each format rendered;
#   (2) the whole command, `truceline report --format html` (process start to file written);
#   (3) the sqlite3 shell: the aggregates as one query, then the same with the day's incidents
#       listed (json_extract of the fields the report shows).
# Usage: bench/report/run.sh [N] [DAY_N] [RUNS]   (default 5,000,000 20,000 5; quick: 200000 20000 3)
# The store is kept in target/bench-report/N-DAY_N and reused by later runs. Where the build's
# time goes: target/release/examples/report_bench phases target/bench-report/N-DAY_N DATE RUNS.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-5000000}
DAY_N=${2:-20000}
RUNS=${3:-5}
DATE=2026-11-24
command -v sqlite3 >/dev/null || { apt-get install -y sqlite3 >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y sqlite3 >/dev/null; }; }
cargo build --quiet --release -p truceline --bins
cargo build --quiet --release -p truceline-report --example report_bench
data=target/bench-report/$N-$DAY_N
if [ ! -f "$data/done" ]; then
  rm -rf "$data"; mkdir -p "$data"
  echo "generating $N incidents over 365 days ($DAY_N on $DATE) in $data..." >&2
  target/release/examples/report_bench generate "$data" "$N" "$DAY_N" "$DATE"
  # The command needs the agreement in the store, as a server or import leaves it.
  target/release/truceline import /dev/null --format ndjson --data "$data" --agreement examples/donbas/agreement.toml >/dev/null 2>&1
  touch "$data/done"
fi
db=$data/truceline.db
echo "store: $(du -h "$db" | cut -f1), $(sqlite3 -readonly "$db" 'SELECT count(*) FROM incidents') incidents" >&2

echo "(1) the report in-process, $RUNS runs..." >&2
ours=$(target/release/examples/report_bench measure "$data" "$DATE" "$RUNS")
echo "$ours"

ms() { python3 -c 'import time; print(time.monotonic_ns() // 1000000)'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "(2) the command, $RUNS runs..." >&2
cmd=()
for _ in $(seq "$RUNS"); do
  t0=$(ms); target/release/truceline report --data "$data" --date "$DATE" --format html --out "$data/report.html" 2>/dev/null; t1=$(ms)
  cmd+=($((t1 - t0)))
done
cmd_ms=$(printf '%s\n' "${cmd[@]}" | median)

# The SQL peer gets the same mission-day bounds (Kyiv, 19:30).
bounds=$(python3 - "$DATE" <<'PY'
import sys, datetime, zoneinfo
kyiv = zoneinfo.ZoneInfo("Europe/Kyiv")
d = datetime.date.fromisoformat(sys.argv[1])
def end(day): return int(datetime.datetime.combine(day, datetime.time(19, 30), kyiv).timestamp() * 1000)
one = datetime.timedelta(days=1)
print(end(d - one), end(d), end(d - 2 * one), end(d - 8 * one), end(d - 30 * one))
PY
)
read -r DAY_FROM DAY_TO PREV_FROM WEEK_FROM MONTH_FROM <<<"$bounds"
sql() { # LISTING
  python3 - "$1" "$DAY_FROM" "$DAY_TO" "$PREV_FROM" "$WEEK_FROM" "$MONTH_FROM" <<'PY'
import sys
listing, *b = sys.argv[1:]
s = open("bench/report/peer.sql.in").read()
for k, v in zip(["DAY_FROM", "DAY_TO", "PREV_FROM", "WEEK_FROM", "MONTH_FROM"], b):
    s = s.replace(k, v)
print(s.replace("LISTING", listing))
PY
}
sql "" > "$data/peer.sql"
sql "UNION ALL SELECT 'incident', id, kind, time_ms, count, json_extract(body, '\$.location.lon') || ' ' || json_extract(body, '\$.location.lat') || ' ' || json_extract(body, '\$.error_ellipse_m.major') || ' ' || json_extract(body, '\$.attribution.party') || ' ' || json_extract(body, '\$.attribution.basis') || ' ' || leaves FROM day" > "$data/peer-list.sql"
echo "(3) the sqlite3 shell, $RUNS runs each..." >&2
peer=(); peer_list=()
for _ in $(seq "$RUNS"); do
  t0=$(ms); sqlite3 -readonly "$db" < "$data/peer.sql" > "$data/peer.out"; t1=$(ms)
  sqlite3 -readonly "$db" < "$data/peer-list.sql" > "$data/peer-list.out"; t2=$(ms)
  peer+=($((t1 - t0))); peer_list+=($((t2 - t1)))
done
peer_ms=$(printf '%s\n' "${peer[@]}" | median)
peer_list_ms=$(printf '%s\n' "${peer_list[@]}" | median)
python3 - "$ours" "$cmd_ms" "$peer_ms" "$peer_list_ms" "$N" "$DAY_N" <<'PY'
import json, sys
ours = json.loads(sys.argv[1]); cmd, peer, peer_list = map(float, sys.argv[2:5])
n, day_n = sys.argv[5], sys.argv[6]
build = ours["build_ms"]; html = ours["render_ms"]["html"]
print(f"store: {int(n):,} incidents over a year, {ours['incidents_on_day']:,} on the day")
print(f"Truceline, in-process: build {build:.0f} ms; render html {html:.0f} ms, json {ours['render_ms']['json']:.0f} ms, "
      f"csv {ours['render_ms']['csv']:.0f} ms, geojson {ours['render_ms']['geojson']:.0f} ms; build + html {build + html:.0f} ms")
print(f"Truceline, the whole command (html to a file): {cmd:.0f} ms")
print(f"sqlite3 shell, aggregates as one query: {peer:.0f} ms; with the day's incidents listed: {peer_list:.0f} ms")
print(f"ratio build+html / sqlite3 aggregates: {(build + html) / peer:.2f}; / sqlite3 with listing: {(build + html) / peer_list:.2f}")
print(f"goal: under 500 ms -> {'met' if build + html < 500 else 'NOT met'}; no slower than the SQL peer -> {'met' if build + html <= peer_list else 'NOT met'} (against the listing query)")
PY
