#!/usr/bin/env bash
# bench/zones: classify a million points against the illustrative Donbas agreement with
# Truceline's zone engine and with GEOS (shapely 2, prepared geometry) on the same points, each
# on one core, and print points per second, the ratio, and the accuracy of both against
# GeographicLib. Usage: bench/zones/run.sh [N]   (default 1,000,000 points; takes ~2 minutes)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
work=target/bench-zones
mkdir -p "$work"
points="$work/points-$N.f64"

python3 -c 'import shapely, pyproj, numpy' 2>/dev/null ||
  python3 -m pip install --quiet 'shapely>=2' pyproj numpy
cargo build --quiet --release -p truceline-zones --example zones_bench

pin() { if command -v taskset >/dev/null; then taskset -c 0 "$@"; else "$@"; fi; }
echo "classifying $N points with Truceline (one core)..." >&2
ours=$(pin target/release/examples/zones_bench examples/donbas/agreement.toml "$points" "$N")
echo "classifying the same points with GEOS via shapely (one core)..." >&2
peer=$(pin python3 bench/zones/peer_shapely.py examples/donbas/agreement.toml "$points")

python3 - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"points                         {o['points']:,}")
print(f"line pieces indexed            {o['pieces']:,}   (engine built in {o['build_s']*1e3:.1f} ms)")
print()
print(f"{'':30} {'points/s':>12}  {'ratio':>7}")
print(f"{'truceline (full: control, distance, zones)':30}")
print(f"{'':30} {o['points_per_s']:>12,.0f}  {'1.00':>7}")
print(f"{'GEOS ' + p['geos'] + ' membership only':30} {p['membership_points_per_s']:>12,.0f}  {o['points_per_s']/p['membership_points_per_s']:>6.1f}x")
print(f"{'GEOS membership + distance':30} {p['full_points_per_s']:>12,.0f}  {o['points_per_s']/p['full_points_per_s']:>6.1f}x")
print()
print(f"truceline distance error vs GeographicLib, {o['accuracy_checked']} points within 200 km: max {o['max_abs_error_m']*1000:.2f} mm")
e = p['distance_error_vs_truceline_m']
print(f"GEOS (projected) distance error vs truceline: median {e['median']:.2f} m, p99 {e['p99']:.2f} m, max {e['max']:.2f} m")
print(f"GEOS agrees with truceline on control for {p['control_agreement']*100:.4f} % and on zones for {p['zones_agreement']*100:.4f} % of points")
goal_ratio = o['points_per_s'] / p['membership_points_per_s'] >= 3
goal_rate = o['points_per_s'] >= 2e6
goal_acc = o['max_abs_error_m'] <= 1.0
print()
print(f"goals: >=3x GEOS {'met' if goal_ratio else 'NOT met'}; >=2M points/s {'met' if goal_rate else 'NOT met'}; within 1 m {'met' if goal_acc else 'NOT met'}")
PY
