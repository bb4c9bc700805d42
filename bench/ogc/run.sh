#!/usr/bin/env bash
# OGC API – Features: Truceline's /ogc against pygeoapi (PyPI) serving the same incidents from a
# GeoJSON file, in the same run, under the same load (wrk, 2 threads, 16 connections).
#   bench/ogc/run.sh [HOURS] [SECONDS]   (default: 24 simulated hours, 10 s of load a case)
# Both servers get the machine's two cores: Truceline its own runtime, pygeoapi gunicorn with
# two workers (its documented production setup). Cases: a first page of 100 items, a page of a
# bbox, one item by id. Prints requests/s, items/s and latency (p50, p99) of each, and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
HOURS=${1:-24}
SECS=${2:-10}
./scripts/deps.sh
cargo build --release -q -p truceline
bin=$PWD/target/release/truceline
agreement=examples/donbas/agreement.toml
work=$PWD/target/bench-ogc/$HOURS
py=$PWD/target/bench-pyenv
if [ ! -x "$py/bin/gunicorn" ] || ! "$py/bin/python" -c 'import pygeoapi' 2>/dev/null; then
    echo "installing pygeoapi and gunicorn (PyPI) into target/bench-pyenv" >&2
    python3 -m venv "$py"
    "$py/bin/pip" install -q --disable-pip-version-check pygeoapi==0.21.0 gunicorn==27.0.1 >/dev/null
fi
if [ ! -f "$work/imported" ]; then
    rm -rf "$work" && mkdir -p "$work"
    $bin simulate --agreement $agreement --seed 7 --hours "$HOURS" --observations "$work/obs.ndjson" --truth "$work/truth.ndjson"
    $bin import "$work/obs.ndjson" --data "$work/data" --agreement $agreement
    touch "$work/imported"
fi
$bin users add reader --role analyst --data "$work/data" >/dev/null 2>&1 || true
token=$($bin tokens issue reader --data "$work/data")
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ours=$(port); theirs=$(port)
pids=()
trap 'kill ${pids[@]} 2>/dev/null || true' EXIT
$bin serve --agreement $agreement --data "$work/data" --listen "127.0.0.1:$ours" >"$work/serve.log" 2>&1 &
pids+=($!)
until curl -sf "127.0.0.1:$ours/healthz" >/dev/null; do sleep 0.2; done
until curl -s "127.0.0.1:$ours/healthz" | python3 -c 'import json,sys; h=json.load(sys.stdin); sys.exit(0 if h["fusion"]=="running" and h["fusion_lag_s"]==0 else 1)'; do
    sleep 1
done
# Every incident the analyst reads, through our own pages, as pygeoapi's file.
python3 - "http://127.0.0.1:$ours/ogc/collections/incidents/items?limit=1000" "$token" "$work/incidents.geojson" <<'PY'
import json, sys, urllib.request
url, token, out = sys.argv[1:]
features = []
while url:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req))
    features += page["features"]
    url = next((l["href"] for l in page["links"] if l["rel"] == "next"), None)
json.dump({"type": "FeatureCollection", "features": features}, open(out, "w"))
print(f"{len(features):,} incidents", file=sys.stderr)
PY
cat >"$work/pygeoapi.yml" <<YML
server:
  bind: {host: 127.0.0.1, port: $theirs}
  url: http://127.0.0.1:$theirs
  mimetype: application/json; charset=UTF-8
  encoding: utf-8
  languages: [en-US]
  limits: {default_items: 10, max_items: 1000}
  map: {url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png", attribution: none}
logging: {level: ERROR}
metadata:
  identification: {title: incidents, description: incidents, keywords: [incidents], keywords_type: theme, terms_of_service: none, url: http://127.0.0.1}
  license: {name: none, url: http://127.0.0.1}
  provider: {name: bench, url: http://127.0.0.1}
  contact: {name: bench}
resources:
  incidents:
    type: collection
    title: incidents
    description: the same incidents
    keywords: [incidents]
    extents:
      spatial: {bbox: [36, 46, 41, 51], crs: http://www.opengis.net/def/crs/OGC/1.3/CRS84}
    providers:
      - type: feature
        name: GeoJSON
        data: $work/incidents.geojson
        id_field: id
YML
export PYGEOAPI_CONFIG="$work/pygeoapi.yml" PYGEOAPI_OPENAPI="$work/pygeoapi-openapi.yml"
"$py/bin/pygeoapi" openapi generate "$PYGEOAPI_CONFIG" --output-file "$PYGEOAPI_OPENAPI" >/dev/null 2>&1
(cd "$work" && "$py/bin/gunicorn" -w 2 -b "127.0.0.1:$theirs" pygeoapi.flask_app:APP >"$work/pygeoapi.log" 2>&1) &
pids+=($!)
until curl -sf "127.0.0.1:$theirs/collections/incidents" >/dev/null; do sleep 0.5; done
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["features"][0]["id"])' "$work/incidents.geojson")
bbox=38.0,48.2,38.3,48.45
# The same answer from both: as many items a page.
for q in "items?limit=100" "items?limit=100&bbox=$bbox"; do
    a=$(curl -s -H "Authorization: Bearer $token" "127.0.0.1:$ours/ogc/collections/incidents/$q" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberReturned"])')
    b=$(curl -s "127.0.0.1:$theirs/collections/incidents/$q" | python3 -c 'import json,sys; print(json.load(sys.stdin)["numberReturned"])')
    echo "$q: Truceline returns $a items, pygeoapi $b" >&2
done
load() { # URL [HEADER]: requests/s, p50 and p99 in ms
    wrk -t2 -c16 -d"${SECS}s" --timeout 60s --latency ${2:+-H "$2"} "$1" | python3 -c '
import re, sys
t = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def ms(p):
    v, u = re.search(p + r"%\s+([\d.]+)(us|ms|s)", t).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
print(rps, ms("50"), ms("99"))'
}
printf "%-34s %12s %12s %10s %10s | %12s %12s %10s %10s | %8s\n" case "Truceline/s" "items/s" p50_ms p99_ms "pygeoapi/s" "items/s" p50_ms p99_ms ratio
for c in "first page:items?limit=100:100" "bbox page:items?limit=100&bbox=$bbox:100" "one item:items/$id:1"; do
    name=${c%%:*}; rest=${c#*:}; q=${rest%:*}; n=${rest##*:}
    read -r ra pa qa <<<"$(load "http://127.0.0.1:$ours/ogc/collections/incidents/$q" "Authorization: Bearer $token")"
    read -r rb pb qb <<<"$(load "http://127.0.0.1:$theirs/collections/incidents/$q")"
    python3 -c "
import sys
ra, pa, qa, rb, pb, qb, n = map(float, sys.argv[1:8])
print(sys.argv[8])
print(' ' * 34 + f' {ra:12,.0f} {ra*n:12,.0f} {pa:10.1f} {qa:10.1f} | {rb:12,.1f} {rb*n:12,.0f} {pb:10.1f} {qb:10.1f} | {ra/rb:7.0f}x')
" "$ra" "$pa" "$qa" "$rb" "$pb" "$qb" "$n" "$name ($q)"
done
