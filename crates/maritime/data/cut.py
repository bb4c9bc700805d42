#!/usr/bin/env python3
"""Cuts the maritime picture's land out of Natural Earth, as the report's map.

Run by hand when the source changes (`python3 crates/maritime/data/cut.py`); its output is
committed, so neither builds nor tests need the network. Needs node, npm and shapely 2.

land.geojson: the land of npm `world-atlas` 2.0.2 (`land-10m.json`: Natural Earth 10m land, public
domain; package ISC), clipped to a box around each sea the mission watches. Land has no borders,
so the question of whose it is does not arise here (the report's map draws those). Natural Earth
10m draws coasts to a few hundred metres and the package quantises them to about 0.0036° of
longitude by 0.0017° of latitude (~250 m by 190 m here): distances from shore are good to about
half a kilometre, and a position is called "on land" only well inside it.
"""
import json
import os
import subprocess
import sys
import tempfile

from shapely.geometry import box, Polygon
from shapely.ops import unary_union

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "report", "data"))
from cut import polygons, rounded, topo_arcs, topo_ring  # noqa: E402  (the report's own helpers)

# (name, west, south, east, north): generous around each sea so that a box edge is never the
# nearest "shore" of a position at sea.
SEAS = [
    ("Black Sea, Sea of Azov and Sea of Marmara", 25.0, 39.0, 43.0, 48.5),
    ("Baltic Sea (east) and Gulf of Finland", 16.0, 53.0, 31.5, 61.5),
    ("Sea of Japan (Peter the Great Gulf)", 127.0, 40.0, 137.0, 46.0),
]


def main():
    with tempfile.TemporaryDirectory() as dir:
        subprocess.run(["npm", "init", "-y"], cwd=dir, check=True, capture_output=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "world-atlas@2.0.2"],
                       cwd=dir, check=True)
        topo = json.load(open(os.path.join(dir, "node_modules/world-atlas/land-10m.json")))
    arcs = topo_arcs(topo)
    shapes = []
    for g in topo["objects"]["land"]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        for p in polys:
            rings = [topo_ring(arcs, r) for r in p]
            if len(rings[0]) >= 4:
                shapes.append(Polygon(rings[0], [h for h in rings[1:] if len(h) >= 4]).buffer(0))
    land = unary_union(shapes)
    features = []
    for name, w, s, e, n in SEAS:
        clip = box(w, s, e, n)
        part = polygons(land.intersection(clip))
        features.append({"type": "Feature", "properties": {"sea": name, "box": [w, s, e, n]},
                         "geometry": rounded(part)})
    with open(os.path.join(HERE, "land.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, separators=(",", ":"))
        f.write("\n")
    print("seas", len(features), file=sys.stderr)


if __name__ == "__main__":
    main()
