#!/usr/bin/env python3
"""Scores incidents against the ground truth by SPEC 2.5.

score.py OBSERVATIONS TRUTH INCIDENTS  ->  one JSON object of figures on standard output.

Written apart from the fusion code (standard library only, spherical geometry) so that it checks
the engine rather than repeats it.

- count error: (events the incidents stand for - real events seen) / real events seen. An
  incident stands for one event, or for `count` events when it is a window (`time_end`).
  Beside it, as a diagnostic, the share of incidents made only of false alarms and the count
  error without them, and that error by class of event (explosions, small arms, weapons seen):
  errors of opposite sign in two classes would cancel in the whole.
- clustering: B-cubed precision, recall and F1 over observations. An observation's true cluster
  is the first event that lists it (a windowed observation is listed by several); a false alarm
  is a cluster of its own.
- location: for events seen on two or more bearings or located directly, the distance from the
  incident holding most of its observations to the true place, next to the Cramer-Rao bound
  from the same observations' geometry and stated sigmas (bearings; ranges read as log-normal,
  ln(distance) of sigma a quarter of the range's log-width; locations with uncertainty_m as a 95 %
  radius). Per event: error / sqrt(trace of the bound).
- attribution: the share of incidents attributed, and the share of those whose party is the
  party that fired (or holds the weapon) in the event most of its observations belong to.
- naive peer: one entry per observation, as the OSCE counted.
"""
import json, math, sys
from collections import Counter, defaultdict

R = 6371008.8

def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def en(a, b):
    """East, north metres from a to b (lon, lat degrees), local tangent plane."""
    lat = math.radians((a[1] + b[1]) / 2)
    return (math.radians(b[0] - a[0]) * R * math.cos(lat), math.radians(b[1] - a[1]) * R)

def dist(a, b):
    e, n = en(a, b)
    return math.hypot(e, n)

def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(p * len(xs)))]

def main(obs_path, truth_path, inc_path):
    obs = {o["id"]: o for o in load(obs_path)}
    truth = load(truth_path)
    incs = load(inc_path)
    seen = [e for e in truth if e["observations"]]
    claimed = sum(i["count"] if i.get("time_end") else 1 for i in incs)
    count_error = (claimed - len(seen)) / len(seen)
    naive_error = (len(obs) - len(seen)) / len(seen)

    true_of = {}
    for e in truth:
        for oid in e["observations"]:
            true_of.setdefault(oid, e["id"])
    for oid in obs:
        true_of.setdefault(oid, "false:" + oid)
    pred_of = {}
    for i in incs:
        for oid in i["observations"]:
            pred_of[oid] = i["id"]
    missing = [o for o in obs if o not in pred_of]
    for oid in missing:
        pred_of[oid] = "unassigned:" + oid
    tsize = Counter(true_of.values())
    psize = Counter(pred_of.values())
    both = Counter((true_of[o], pred_of[o]) for o in obs)
    def bcubed(ids):
        if not ids:
            return float("nan"), float("nan"), float("nan")
        p = sum(both[(true_of[o], pred_of[o])] / psize[pred_of[o]] for o in ids) / len(ids)
        r = sum(both[(true_of[o], pred_of[o])] / tsize[true_of[o]] for o in ids) / len(ids)
        return p, r, 2 * p * r / (p + r)
    prec, rec, f1 = bcubed(list(obs))
    # The rounds of rocket launchers' ripples (truth events with `ripple`), scored apart: the
    # same figures over the observations whose event is such a round.
    ripple_events = {e["id"] for e in truth if e.get("ripple") is not None}
    ripple_p, ripple_r, ripple_f1 = bcubed([o for o in obs if true_of[o] in ripple_events])

    by_id = {i["id"]: i for i in incs}
    errors, bounds, ratios = [], [], []
    for e in seen:
        mine = [obs[o] for o in e["observations"] if o in obs]
        bearings = [o for o in mine if "bearing_deg" in o]
        located = [o for o in mine if "location" in o]
        if len(bearings) < 2 and not located:
            continue
        if any(o.get("time_end") for o in mine):
            continue  # windowed reports stand for many events; no single place to score
        votes = Counter(pred_of[o["id"]] for o in mine)
        inc = by_id.get(votes.most_common(1)[0][0])
        if inc is None:
            continue
        x = (e["location"]["lon"], e["location"]["lat"])
        info = [[0.0, 0.0], [0.0, 0.0]]
        for o in mine:
            if "bearing_deg" in o:
                p = (o["observer_position"]["lon"], o["observer_position"]["lat"])
                ex, nx = en(p, x)
                d2 = ex * ex + nx * nx
                s = math.radians(o["bearing_sigma_deg"])
                g = (nx / d2 / s, -ex / d2 / s)
                for a in range(2):
                    for b in range(2):
                        info[a][b] += g[a] * g[b]
            if "distance_m" in o and "observer_position" in o:
                p = (o["observer_position"]["lon"], o["observer_position"]["lat"])
                ex, nx = en(p, x)
                d = math.hypot(ex, nx)
                # Log-normal, as the monitor's judgement is: sigma of ln(distance) a quarter of
                # the range's log-width, so d * that in metres at the true distance.
                lo = max(1.0, o["distance_m"]["min"])
                hi = max(lo + 1.0, o["distance_m"]["max"])
                s = d * max(0.02, math.log(hi / lo) / 4)
                g = (ex / d / s, nx / d / s)
                for a in range(2):
                    for b in range(2):
                        info[a][b] += g[a] * g[b]
            if "location" in o:
                s = max(1.0, o["location"]["uncertainty_m"] / 2.45)
                info[0][0] += 1 / s / s
                info[1][1] += 1 / s / s
        det = info[0][0] * info[1][1] - info[0][1] * info[1][0]
        if det <= 0:
            continue
        trace_crb = (info[0][0] + info[1][1]) / det
        err = dist((inc["location"]["lon"], inc["location"]["lat"]), x)
        errors.append(err)
        bounds.append(math.sqrt(trace_crb))
        ratios.append(err / math.sqrt(trace_crb))

    party_of = {e["id"]: e.get("party") for e in truth}
    attributed = right = 0
    for i in incs:
        p = (i.get("attribution") or {}).get("party")
        if not p:
            continue
        attributed += 1
        votes = Counter(true_of[o] for o in i["observations"])
        t = votes.most_common(1)[0][0]
        right += party_of.get(t) == p

    # Diagnostic: incidents made only of false alarms, which nothing in a single report can
    # tell from a real event heard by one observer.
    false_only = sum(1 for i in incs if all(true_of[o].startswith("false:") for o in i["observations"]))
    # The same by class: what the incidents not made only of false alarms claim of each.
    def klass(kind):
        return {"explosion": "explosions", "burst": "small_arms", "shot": "small_arms", "weapon": "weapons"}.get(kind, "other")
    seen_by = Counter(klass(e["kind"]) for e in seen)
    claimed_by = Counter()
    for i in incs:
        if not all(true_of[o].startswith("false:") for o in i["observations"]):
            claimed_by[klass(i["kind"])] += i["count"] if i.get("time_end") else 1
    by_class = {f"count_error_{k}": (claimed_by[k] - seen_by[k]) / seen_by[k] if seen_by[k] else float("nan")
                for k in ("explosions", "small_arms", "weapons")}

    out = {
        "real_events": len(truth),
        "events_seen": len(seen),
        "observations": len(obs),
        "observers": len({o["observer"] for o in obs.values()}),
        "incidents": len(incs),
        "ripple_rounds_seen": sum(1 for e in seen if e["id"] in ripple_events),
        "ripple_bcubed_precision": ripple_p,
        "ripple_bcubed_recall": ripple_r,
        "ripple_bcubed_f1": ripple_f1,
        "events_claimed": claimed,
        "count_error": count_error,
        "naive_count_error": naive_error,
        "false_alarm_incidents_share": false_only / len(seen),
        # The count error of the rest: how well real events are counted once each.
        "count_error_without_false_alarm_incidents": (claimed - false_only - len(seen)) / len(seen),
        **by_class,
        "bcubed_precision": prec,
        "bcubed_recall": rec,
        "bcubed_f1": f1,
        "unassigned_observations": len(missing),
        "located_events_scored": len(errors),
        "location_error_median_m": pct(errors, 0.5),
        "location_error_p90_m": pct(errors, 0.9),
        "location_error_rms_m": math.sqrt(sum(x * x for x in errors) / len(errors)) if errors else float("nan"),
        "crb_median_m": pct(bounds, 0.5),
        "error_over_bound_median": pct(ratios, 0.5),
        "error_over_bound_p90": pct(ratios, 0.9),
        "attributed_share": attributed / len(incs),
        "attribution_precision": right / attributed if attributed else float("nan"),
    }
    print(json.dumps(out))

if __name__ == "__main__":
    main(*sys.argv[1:4])
