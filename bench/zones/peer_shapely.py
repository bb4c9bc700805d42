#!/usr/bin/env python3
"""The GEOS peer of bench/zones: the same classification with shapely 2 (GEOS) on prepared
geometry in a local metric projection, on the same points.

    peer_shapely.py AGREEMENT.toml POINTS.f64

Reads the agreement's TOML and GeoJSON, projects everything to an azimuthal equidistant
projection centred on the line (pyproj, the same centre as Truceline's display projection),
prepares the geometries, and times on one core (membership: best of three passes; full: one):
  - membership only: contains_xy for each party's area and each disengagement area, dwithin of
    the line for each band (weapon withdrawal zones, buffer zones);
  - full: the same plus the distance to the line, which Truceline's output also carries.
Compares the results with POINTS.f64.ours (Truceline's) and prints one JSON object.
"""
import json
import os
import sys
import time
import tomllib

import numpy as np
import pyproj
import shapely

toml_path, points_path = sys.argv[1], sys.argv[2]
base = os.path.dirname(toml_path)
with open(toml_path, "rb") as f:
    agreement = tomllib.load(f)


def load_geom(rel):
    with open(os.path.join(base, rel)) as f:
        doc = json.load(f)
    feats = doc["features"] if doc["type"] == "FeatureCollection" else [doc]
    geoms = [shapely.geometry.shape(ft["geometry"] if ft["type"] == "Feature" else ft) for ft in feats]
    return shapely.union_all(geoms) if len(geoms) > 1 else geoms[0]


line_ll = load_geom(agreement["line_of_contact"]["geometry"])
minx, miny, maxx, maxy = line_ll.bounds
lon0, lat0 = (minx + maxx) / 2, (miny + maxy) / 2
to_local = pyproj.Transformer.from_crs(
    "EPSG:4326", f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +ellps=WGS84 +units=m", always_xy=True)


def project(g):
    return shapely.transform(g, lambda xy: np.column_stack(to_local.transform(xy[:, 0], xy[:, 1])))


line = project(line_ll)
parties = [project(load_geom(p["area"])) for p in agreement["parties"]]
bands = [w["withdrawal_km"] * 1000.0 for w in agreement.get("weapon_classes", [])]
areas = []
for z in agreement.get("zones", []):
    if z["kind"] == "buffer":
        bands.append(z["width_km"] * 1000.0)
    else:
        areas.append(project(load_geom(z["area"])))
for g in [line, *parties, *areas]:
    shapely.prepare(g)

raw = np.fromfile(points_path, dtype="<f8").reshape(-1, 2)
n = len(raw)


def classify(with_distance):
    x, y = to_local.transform(raw[:, 0], raw[:, 1])
    pts = shapely.points(x, y)
    control = np.full(n, -1, dtype=np.int64)
    for i, p in enumerate(parties):
        inside = shapely.contains_xy(p, x, y)
        control[(control < 0) & inside] = i
    zones = np.zeros(n, dtype=np.uint64)
    bit = 0
    for d in bands:
        zones |= shapely.dwithin(line, pts, d).astype(np.uint64) << np.uint64(bit)
        bit += 1
    for a in areas:
        zones |= shapely.contains_xy(a, x, y).astype(np.uint64) << np.uint64(bit)
        bit += 1
    dist = shapely.distance(line, pts) if with_distance else None
    return control, zones, dist


def best_of(k, with_distance):
    best, out = float("inf"), None
    for _ in range(k):
        t = time.perf_counter()
        out = classify(with_distance)
        best = min(best, time.perf_counter() - t)
    return best, out


t_member, _ = best_of(3, False)
# The distance pass takes about a minute for a million points: one pass is enough to time it.
t_full, (control, zones, dist) = best_of(1, True)

ours = np.fromfile(points_path + ".ours", dtype=np.dtype([("c", "<i8"), ("d", "<f8"), ("z", "<u8")]))
near = ours["d"] <= 200_000.0
err = np.abs(dist - ours["d"])[near]
print(json.dumps({
    "points": int(n),
    "geos": shapely.geos_version_string,
    "shapely": shapely.__version__,
    "membership_s": t_member,
    "membership_points_per_s": n / t_member,
    "full_s": t_full,
    "full_points_per_s": n / t_full,
    "control_agreement": float(np.mean(control == ours["c"])),
    "zones_agreement": float(np.mean(zones == ours["z"])),
    "distance_error_vs_truceline_m": {
        "median": float(np.median(err)), "p99": float(np.percentile(err, 99)), "max": float(err.max())},
}))
