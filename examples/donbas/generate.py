#!/usr/bin/env python3
"""Builds the illustrative Donbas agreement geometry from a short list of waypoints.

ILLUSTRATIVE ONLY. The waypoints approximate, from public knowledge of the towns it ran through,
the 2015-2022 line of contact in Donetsk and Luhansk oblasts: from the Sea of Azov east of
Shyrokyne north past Marinka, Avdiivka, Toretsk/Horlivka, Svitlodarsk, Zolote/Popasna, then east
along the Siverskyi Donets past Shchastia and Stanytsia Luhanska to the state border. It is not
an official line, not survey-grade, and not for operational use. The control areas describe who
held the ground in that period, not sovereignty: all of it lies inside Ukraine's internationally
recognised borders (UN General Assembly resolution 68/262).

The line is smoothed with a centripetal Catmull-Rom spline and densified to about 100 m between
vertices. Run from this folder: python3 generate.py (standard library only; deterministic).
"""

import json
import math

# (lon, lat), south to east.
LINE_WAYPOINTS = [
    (37.860, 47.080),  # Sea of Azov coast east of Shyrokyne
    (37.835, 47.160),  # Vodiane / Lebedynske
    (37.800, 47.280),  # Pavlopil
    (37.830, 47.380),  # Chermalyk
    (37.820, 47.490),  # Hranitne, on the Kalmius
    (37.745, 47.580),  # Starohnativka
    (37.700, 47.700),  # Bohdanivka / Petrivske
    (37.620, 47.790),  # between Novotroitske and Olenivka
    (37.555, 47.860),  # Berezove
    (37.560, 47.930),  # east of Marinka
    (37.585, 48.010),  # east of Krasnohorivka
    (37.710, 48.080),  # Pisky / Donetsk airport
    (37.790, 48.120),  # between Avdiivka and Yasynuvata
    (37.815, 48.165),  # Kamianka
    (37.860, 48.230),  # Verkhniotoretske
    (37.870, 48.320),  # Novhorodske
    (37.930, 48.370),  # between Toretsk and Horlivka
    (38.000, 48.410),  # Maiorsk
    (38.080, 48.400),  # Zaitseve
    (38.220, 48.400),  # south of Svitlodarsk
    (38.300, 48.430),  # Luhanske
    (38.360, 48.500),  # Myronivskyi
    (38.420, 48.580),  # east of Popasna
    (38.450, 48.630),  # Popasna / Kalynove
    (38.530, 48.670),  # between Zolote and Pervomaisk
    (38.560, 48.690),  # Zolote-4 / Katerynivka
    (38.620, 48.720),  # Orikhove
    (38.720, 48.720),  # Zhovte / Novotoshkivske
    (38.820, 48.740),  # Krymske
    (38.950, 48.760),  # Siverskyi Donets at Trokhizbenka
    (39.050, 48.750),  # Lobacheve
    (39.150, 48.730),  # west of Shchastia
    (39.230, 48.730),  # Shchastia, south bank
    (39.320, 48.690),  # Kondrashivka
    (39.400, 48.660),  # Valuiske
    (39.490, 48.640),  # Stanytsia Luhanska
    (39.580, 48.620),  # Siverskyi Donets east of Stanytsia Luhanska
    (39.680, 48.600),
    (39.780, 48.580),
    (39.930, 48.580),  # the state border
]

# The state border with the Russian Federation, from the line's eastern end south to the sea.
BORDER_SOUTH = [
    (39.930, 48.580), (39.850, 48.400), (39.820, 48.300), (39.780, 48.120), (39.550, 48.020),
    (39.250, 47.930), (38.950, 47.870), (38.780, 47.800), (38.600, 47.650), (38.450, 47.480),
    (38.300, 47.300), (38.250, 47.150), (38.220, 47.100),
]
# The Sea of Azov coast from the border west to the line's southern end.
COAST_EAST = [(38.220, 47.100), (38.100, 47.095), (37.970, 47.085), (37.860, 47.080)]
# From the line's southern end: the coast west, the outer boundary of the two oblasts north and
# east, and the state border south to the line's eastern end.
OUTER_WEST_NORTH = [
    (37.860, 47.080), (37.550, 47.080), (37.200, 46.980), (36.950, 46.920), (36.800, 47.200),
    (36.550, 47.550), (36.600, 47.900), (36.550, 48.250), (36.750, 48.550), (37.000, 48.850),
    (37.350, 49.050), (37.600, 49.200), (38.100, 49.300), (38.200, 49.600), (38.550, 50.000),
    (38.850, 50.100), (39.300, 49.950), (39.800, 49.600), (40.150, 49.400), (40.050, 49.000),
    (39.930, 48.580),
]
# The three disengagement areas of the 2016 framework decision: 2 x 2 km squares centred on the
# line where it passes these towns.
DISENGAGEMENT = [
    ("stanytsia-luhanska", "Disengagement area Stanytsia Luhanska", (39.490, 48.650)),
    ("zolote", "Disengagement area Zolote", (38.520, 48.690)),
    ("petrivske", "Disengagement area Petrivske", (37.735, 47.745)),
]

LAT0 = 48.0
KX = 111.320 * math.cos(math.radians(LAT0))
KY = 110.574


def fwd(p):
    return ((p[0] - 37.0) * KX, (p[1] - LAT0) * KY)


def inv(q):
    return (round(q[0] / KX + 37.0, 6), round(q[1] / KY + LAT0, 6))


def catmull_rom(points, step_km):
    """Centripetal Catmull-Rom through the points (km frame), sampled about every step_km."""
    pts = [points[0]] + points + [points[-1]]
    out = [points[0]]

    def tj(ti, a, b):
        d = math.dist(a, b)
        return ti + max(d, 1e-9) ** 0.5

    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]
        if p0 == p1:
            p0 = (2 * p1[0] - p2[0], 2 * p1[1] - p2[1])
        if p3 == p2:
            p3 = (2 * p2[0] - p1[0], 2 * p2[1] - p1[1])
        t0 = 0.0
        t1 = tj(t0, p0, p1)
        t2 = tj(t1, p1, p2)
        t3 = tj(t2, p2, p3)
        n = max(1, round(math.dist(p1, p2) / step_km))
        for k in range(1, n + 1):
            t = t1 + (t2 - t1) * k / n

            def lerp(a, b, ta, tb):
                w = (t - ta) / (tb - ta)
                return ((1 - w) * a[0] + w * b[0], (1 - w) * a[1] + w * b[1])

            a1 = lerp(p0, p1, t0, t1)
            a2 = lerp(p1, p2, t1, t2)
            a3 = lerp(p2, p3, t2, t3)
            b1 = lerp(a1, a2, t0, t2)
            b2 = lerp(a2, a3, t1, t3)
            out.append(lerp(b1, b2, t1, t2))
    return out


def signed_area(ring):
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:])) / 2


def ccw(ring):
    return ring if signed_area([fwd(p) for p in ring]) > 0 else ring[::-1]


NOTICE = ("ILLUSTRATIVE: approximated from public knowledge of the towns the 2015-2022 line of "
          "contact ran through; not an official line, not survey-grade, not for operational use. "
          "Control areas show who held the ground, not sovereignty: all of it lies inside "
          "Ukraine's internationally recognised borders (UN General Assembly resolution 68/262).")


def fc(geometry, **props):
    props = {"illustrative": True, "notice": NOTICE, **props}
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": props, "geometry": geometry}]}


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def main():
    line_km = catmull_rom([fwd(p) for p in LINE_WAYPOINTS], 0.1)
    line = [inv(q) for q in line_km]
    # Rounding to 1e-6 degrees can make neighbours equal; drop repeats.
    line = [p for i, p in enumerate(line) if i == 0 or p != line[i - 1]]
    write("line_of_contact.geojson",
          fc({"type": "LineString", "coordinates": line}, role="line_of_contact"))

    ru = ccw(line + BORDER_SOUTH[1:] + COAST_EAST[1:])
    ua = ccw(OUTER_WEST_NORTH + line[::-1][1:])
    write("area_ua.geojson", fc({"type": "Polygon", "coordinates": [ua]}, role="party_area", party="ua"))
    write("area_ru.geojson", fc({"type": "Polygon", "coordinates": [ru]}, role="party_area", party="ru"))

    for zid, name, town in DISENGAGEMENT:
        t = fwd(town)
        lon, lat = inv(min(line_km, key=lambda q: math.dist(q, t)))
        # 1 km each way at the square's own latitude.
        dlon = 1.0 / (111.320 * math.cos(math.radians(lat)))
        dlat = 1.0 / KY
        ring = [(round(lon + sx * dlon, 6), round(lat + sy * dlat, 6))
                for sx, sy in [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]]
        write(f"disengagement_{zid}.geojson",
              fc({"type": "Polygon", "coordinates": [ccw(ring)]}, role="zone", zone=zid, name=name))
    print(f"line of contact: {len(line)} vertices")


if __name__ == "__main__":
    main()
