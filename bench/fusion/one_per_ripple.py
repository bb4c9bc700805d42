#!/usr/bin/env python3
"""What one incident per ripple would score, beside the incidents as fused.

one_per_ripple.py OBSERVATIONS TRUTH INCIDENTS  ->  one line of B-cubed F1 figures.

Where a ripple's rounds come too close to tell apart, fusion could give up and make one incident
of the whole ripple with its count and span, instead of separating rounds it may place a round
off. This puts the observations of each ripple's rounds together (its launches apart from its
impacts, as they are heard at different places) and leaves every other observation where fusion
put it, then scores both by B-cubed over observations as `score.py` does (each observation's true
cluster is the first event that lists it), over all observations and over the ripples' rounds.
"""
import json
import sys
from collections import Counter


def main(obs_path, truth_path, inc_path):
    obs = [json.loads(line)["id"] for line in open(obs_path)]
    truth = [json.loads(line) for line in open(truth_path)]
    incs = [json.loads(line) for line in open(inc_path)]
    true_of, ripple_of = {}, {}
    for e in truth:
        for o in e["observations"]:
            if o not in true_of:
                true_of[o] = e["id"]
                if e.get("ripple") is not None:
                    ripple_of[o] = (e["ripple"], e.get("subtype"))
    for o in obs:
        true_of.setdefault(o, "false:" + o)
    tsize = Counter(true_of.values())

    def f1(pred_of, ids):
        if not ids:
            return float("nan")
        psize = Counter(pred_of.values())
        both = Counter((true_of[o], pred_of[o]) for o in obs)
        p = sum(both[(true_of[o], pred_of[o])] / psize[pred_of[o]] for o in ids) / len(ids)
        r = sum(both[(true_of[o], pred_of[o])] / tsize[true_of[o]] for o in ids) / len(ids)
        return 2 * p * r / (p + r)

    fused = {}
    for i in incs:
        for o in i["observations"]:
            fused[o] = i["id"]
    for o in obs:
        fused.setdefault(o, "unassigned:" + o)
    whole = {o: ("ripple:%s:%s" % ripple_of[o]) if o in ripple_of else p for o, p in fused.items()}
    rounds = [o for o in obs if o in ripple_of]
    print(f"as fused: all {f1(fused, obs):.4f}, rounds {f1(fused, rounds):.4f}; "
          f"one incident per ripple: all {f1(whole, obs):.4f}, rounds {f1(whole, rounds):.4f} "
          f"({len(rounds):,} observations of ripples' rounds)")


if __name__ == "__main__":
    main(*sys.argv[1:4])
